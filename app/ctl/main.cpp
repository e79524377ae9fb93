// sluicectl: the headless command line (see README.md and design notes).
#include "Commands.h"

#include <cstdio>
#include <cstring>
#include <iostream>

namespace sluicectl {

int fail(const std::string& message) {
    std::cerr << "error: " << message << std::endl;
    return 1;
}

bool ArgReader::option(const std::string& flag, std::string& value, std::string& error) {
    if (done())
        return false;
    const std::string& a = m_args[m_pos];
    if (a == flag) {
        if (m_pos + 1 >= m_args.size()) {
            error = flag + " needs a value";
            ++m_pos;
            return true;
        }
        value = m_args[m_pos + 1];
        m_pos += 2;
        return true;
    }
    if (a.size() > flag.size() && a.compare(0, flag.size(), flag) == 0 && a[flag.size()] == '=') {
        value = a.substr(flag.size() + 1);
        ++m_pos;
        return true;
    }
    return false;
}

bool ArgReader::flag(const std::string& flag) {
    if (!done() && m_args[m_pos] == flag) {
        ++m_pos;
        return true;
    }
    return false;
}

} // namespace sluicectl

namespace {
const char* kUsage =
    "usage: sluicectl COMMAND [OPTIONS]\n"
    "  sql     --store DIR [--shards N] [-e SQL]... [FILE|-] [--format table|csv|json]\n"
    "  broker  [--topic NAME[:PARTITIONS]]... [--brokers N]\n"
    "  produce --bootstrap B --topic T [--count N] [--rate PER_S] [--format csv|json]\n"
    "  run     --store DIR [--pipeline NAME]... [--until-caught-up] [--timeout S]\n"
    "  bench   [--quick] [--json]\n";
}

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    std::string cmd = argv[1];
    sluicectl::Args args(argv + 2, argv + argc);
    if (cmd == "sql")
        return sluicectl::sqlCommand(args);
    if (cmd == "broker")
        return sluicectl::brokerCommand(args);
    if (cmd == "produce")
        return sluicectl::produceCommand(args);
    if (cmd == "run")
        return sluicectl::runCommand(args);
    if (cmd == "bench")
        return sluicectl::benchCommand(args);
    std::fputs(kUsage, stderr);
    return sluicectl::fail("unknown command '" + cmd + "'");
}
