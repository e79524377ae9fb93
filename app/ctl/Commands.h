#pragma once
// sluicectl's sub-commands. Each takes the arguments after its own name and returns the exit code.

#include <string>
#include <vector>

namespace sluicectl {

using Args = std::vector<std::string>;

int sqlCommand(const Args& args);
int brokerCommand(const Args& args);
int produceCommand(const Args& args);
int runCommand(const Args& args);
int benchCommand(const Args& args);

// Prints "error: <message>" on stderr and returns 1.
int fail(const std::string& message);

// Small flag reader shared by the sub-commands: --name VALUE, --name=VALUE and bare flags.
class ArgReader {
public:
    explicit ArgReader(const Args& args) : m_args(args) {}
    bool done() const { return m_pos >= m_args.size(); }
    const std::string& peek() const { return m_args[m_pos]; }
    // True (and consumes) when the next argument is the flag; value receives its value.
    bool option(const std::string& flag, std::string& value, std::string& error);
    bool flag(const std::string& flag);
    std::string take() { return m_args[m_pos++]; }

private:
    const Args& m_args;
    size_t m_pos = 0;
};

} // namespace sluicectl
