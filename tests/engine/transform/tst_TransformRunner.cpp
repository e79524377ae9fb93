#include "transform/TransformRunner.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using namespace sluice;
using namespace sluice::transform;
using sluice::sql::TransformSpec;

namespace {

const std::string kFixtures = SLUICE_TEST_DATA "/transforms/";
const std::string kExamples = SLUICE_SOURCE_DIR "/resources/transforms/";

TransformSpec spec(const std::string& uri, const std::string& args = {}) {
    TransformSpec s;
    s.uri = uri;
    s.args = args;
    return s;
}

std::string framed(const std::vector<std::string>& values) {
    std::string buf;
    for (const std::string& v : values)
        appendFramed(buf, v);
    return buf;
}

int openFdCount() {
    int n = 0;
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir)
        return -1;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] != '.')
            ++n;
    }
    ::closedir(dir);
    return n - 1; // the directory's own fd
}

// True when no child of this process is left unreaped.
bool noChildrenLeft() {
    int status = 0;
    return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

// A process that is gone or a zombie (PID 1 here may not reap orphans) is dead.
bool processDead(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat)
        return true;
    std::string line;
    std::getline(stat, line);
    const size_t paren = line.rfind(')');
    return paren == std::string::npos || line.size() < paren + 3 || line[paren + 2] == 'Z';
}

std::string repeated(const std::string& unit, size_t times) {
    std::string out;
    out.reserve(unit.size() * times);
    for (size_t i = 0; i < times; ++i)
        out += unit;
    return out;
}

bool havePython() {
    TransformSpec s;
    s.uri = "python3";
    s.args = "-c pass";
    return runTransform(s, "", std::chrono::seconds(30)).ok();
}

} // namespace

class TransformRunnerTest : public QObject {
    Q_OBJECT
private slots:
    void framesLittleEndian_data() {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QByteArray>("header");
        QTest::newRow("empty") << QByteArray() << QByteArray(8, '\0');
        QTest::newRow("two bytes") << QByteArray("ab") << QByteArray("\x02\0\0\0\0\0\0\0", 8);
        QTest::newRow("300 bytes") << QByteArray(300, 'x') << QByteArray("\x2c\x01\0\0\0\0\0\0", 8);
        QTest::newRow("70000 bytes")
            << QByteArray(70000, 'y') << QByteArray("\x70\x11\x01\0\0\0\0\0", 8);
    }
    void framesLittleEndian() {
        QFETCH(QByteArray, value);
        QFETCH(QByteArray, header);
        std::string buf = "prefix";
        appendFramed(buf, std::string_view(value.constData(), value.size()));
        QCOMPARE(buf.size(), size_t(6 + 8 + value.size()));
        QCOMPARE(QByteArray(buf.data() + 6, 8), header);
        QCOMPARE(QByteArray(buf.data() + 14, value.size()), value);
    }

    void runsAProgramThatSpeaksTheProtocol() {
        if (!havePython())
            QSKIP("python3 is not installed");
        const std::string big(70000, 'b');
        const std::string input = framed({"one", "", "a\nb\\c", std::string("nul\0byte", 8), big});
        auto r = runTransform(spec(kFixtures + "frames.py"), input, 30s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->exitCode, 0);
        QCOMPARE(r->stdoutData, "3:one\n0:\n5:a\\nb\\\\c\n" + std::string("8:nul\0byte\n", 11) +
                                    "70000:" + big + "\n");
        QVERIFY(r->stderrData.empty());
    }

    void streamsBothWaysWithoutDeadlock_data() {
        QTest::addColumn<QString>("program");
        QTest::addColumn<size_t>("inputSize");
        QTest::newRow("ok.sh small") << QString::fromStdString(kFixtures + "ok.sh") << size_t(10);
        QTest::newRow("ok.sh 6 MiB")
            << QString::fromStdString(kFixtures + "ok.sh") << size_t(6 << 20);
        QTest::newRow("cat 6 MiB") << QString("/bin/cat") << size_t(6 << 20);
        QTest::newRow("empty input") << QString("/bin/cat") << size_t(0);
    }
    void streamsBothWaysWithoutDeadlock() {
        QFETCH(QString, program);
        QFETCH(size_t, inputSize);
        std::string input;
        for (size_t i = 0; input.size() < inputSize; ++i)
            input += "row " + std::to_string(i) + ",abc\n";
        input.resize(inputSize);
        auto r = runTransform(spec(program.toStdString()), input, 60s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        std::string expected = input;
        if (program.endsWith("ok.sh")) {
            for (char& c : expected)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        QCOMPARE(r->stdoutData.size(), expected.size());
        QVERIFY(r->stdoutData == expected);
    }

    void zeroTimeoutMeansNoLimit() {
        auto r = runTransform(spec("/bin/cat"), "no limit", 0ms);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->stdoutData, std::string("no limit"));
    }

    void readsAllInputBeforeWriting() {
        std::string input;
        std::string expected;
        for (int i = 99999; i >= 0; --i)
            input += "k" + std::to_string(1000000 + i) + "\n";
        for (int i = 0; i <= 99999; ++i)
            expected += "k" + std::to_string(1000000 + i) + "\n";
        QVERIFY(input.size() > 256 * 1024);
        auto r = runTransform(spec(kFixtures + "read_all_first.sh"), input, 60s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QVERIFY(r->stdoutData == expected);
    }

    void hugeOutputWhileInputIsNotRead() {
        const std::string input(4 << 20, 'i');
        auto r = runTransform(spec(kFixtures + "huge_output.sh"), input, 60s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->stdoutData.size(), size_t(8 << 20));
        QVERIFY(r->stdoutData == std::string(8 << 20, 'x'));
    }

    // The child exits without reading; the writes that follow fail with EPIPE. That must neither
    // kill this process with SIGPIPE nor fail the run, and the thread's signal state must be as
    // it was.
    void exitWithoutReadingStdinIsFine() {
        sigset_t before;
        pthread_sigmask(SIG_SETMASK, nullptr, &before);
        const std::string input(8 << 20, 'z');
        for (int i = 0; i < 3; ++i) {
            auto r = runTransform(spec(kFixtures + "no_stdin.sh"), input, 60s);
            QVERIFY2(r.ok(), r.status().message().c_str());
            QCOMPARE(r->stdoutData, std::string("done\n"));
        }
        sigset_t after;
        pthread_sigmask(SIG_SETMASK, nullptr, &after);
        QCOMPARE(sigismember(&after, SIGPIPE), sigismember(&before, SIGPIPE));
        sigset_t pending;
        sigpending(&pending);
        QCOMPARE(sigismember(&pending, SIGPIPE), 0);
    }

    void garbageOutputIsReturnedByteForByte() {
        auto r = runTransform(spec(kFixtures + "garbage.sh"), "anything", 30s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->stdoutData, std::string("\0\xff\xfe\"unclosed,\x01\n\0tail", 20));
    }

    void nonZeroExitFailsWithStderr() {
        TransformOutput failed;
        auto r = runTransform(spec(kFixtures + "fail_stderr.sh"), "in", 30s, {}, &failed);
        QVERIFY(!r.ok());
        QCOMPARE(r.status().code(), ErrorCode::Transform);
        QCOMPARE(r.status().message(), "transform '" + kFixtures +
                                           "fail_stderr.sh' exited with code 3: bad record in "
                                           "message 2");
        QCOMPARE(failed.exitCode, 3);
        QCOMPARE(failed.stderrData, std::string("bad record in message 2\r\nsecond line\n"));
        QCOMPARE(failed.stdoutData, std::string("partial\n"));
    }

    void killedBySignalFails() {
        TransformOutput failed;
        auto r = runTransform(spec(kFixtures + "kill_self.sh"), "", 30s, {}, &failed);
        QVERIFY(!r.ok());
        QCOMPARE(r.status().code(), ErrorCode::Transform);
        const QString message = QString::fromStdString(r.status().message());
        QVERIFY2(message.contains("killed by signal 11") && message.endsWith(": about to crash"),
                 qPrintable(message));
        QCOMPARE(failed.exitCode, 128 + SIGSEGV);
    }

    void stderrIsTruncatedTo64KiB() {
        TransformOutput failed;
        auto r = runTransform(spec(kFixtures + "stderr_flood.sh"), "", 30s, {}, &failed);
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.status().message())
                    .endsWith("exited with code 1: first line of the flood"));
        QCOMPARE(failed.stderrData.size(), size_t(64 * 1024));
        QVERIFY(failed.stderrData.starts_with("first line of the flood\neee"));
    }

    void timeoutKillsTheProcessGroup() {
        TransformOutput failed;
        auto r = runTransform(spec(kFixtures + "sleep_forever.sh"), "", 2000ms, {}, &failed);
        QVERIFY(!r.ok());
        QCOMPARE(r.status().code(), ErrorCode::Timeout);
        QCOMPARE(r.status().message(),
                 "transform '" + kFixtures + "sleep_forever.sh' timed out after 2000 ms");
        QVERIFY(noChildrenLeft());
        // The script's own child (its pid is on stderr) died with it.
        const pid_t grandchild = static_cast<pid_t>(std::atoi(failed.stderrData.c_str()));
        QVERIFY2(grandchild > 0, failed.stderrData.c_str());
        QTRY_VERIFY_WITH_TIMEOUT(processDead(grandchild), 10000);
    }

    // The program exited, its child still holds the output pipes: the run only ends at the
    // timeout, and the timeout kills that child although its parent is gone.
    void timeoutKillsChildrenOfAnExitedProgram() {
        TransformOutput failed;
        auto r = runTransform(spec(kFixtures + "orphan_holds_stdout.sh"), "", 1500ms, {}, &failed);
        QCOMPARE(r.status().code(), ErrorCode::Timeout);
        QVERIFY(noChildrenLeft());
        const pid_t orphan = static_cast<pid_t>(std::atoi(failed.stderrData.c_str()));
        QVERIFY2(orphan > 0, failed.stderrData.c_str());
        QTRY_VERIFY_WITH_TIMEOUT(processDead(orphan), 10000);
    }

    void waitsForExitAfterOutputsClose() {
        auto r = runTransform(spec(kFixtures + "closes_outputs_first.sh"), "", 30s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->stdoutData, std::string("answer\n"));
        QVERIFY(noChildrenLeft());
    }

    void cannotRun_data() {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing") << "/nonexistent/transform.py"
                                 << "cannot run transform '/nonexistent/transform.py': No such "
                                    "file or directory";
        QTest::newRow("not executable") << "NOEXEC"
                                        << "cannot run transform 'NOEXEC': Permission denied";
        QTest::newRow("directory") << "/tmp"
                                   << "cannot run transform '/tmp': Permission denied";
        QTest::newRow("not in PATH")
            << "sluice-no-such-program"
            << "cannot run transform 'sluice-no-such-program': No such file or directory";
        QTest::newRow("url") << "http://example.com/t.tar.gz"
                             << "cannot run transform 'http://example.com/t.tar.gz': only local "
                                "programs are supported";
        QTest::newRow("empty") << ""
                               << "cannot run transform '': no program given";
    }
    void cannotRun() {
        QFETCH(QString, uri);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        if (uri == "NOEXEC") {
            QFile f(dir.filePath("plain.sh"));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("#!/bin/sh\necho hi\n");
            f.close();
            uri = dir.filePath("plain.sh");
            message.replace("NOEXEC", uri);
        }
        TransformOutput failed;
        failed.exitCode = 42;
        auto r = runTransform(spec(uri.toStdString()), "input", 10s, {}, &failed);
        QVERIFY(!r.ok());
        QCOMPARE(r.status().code(), ErrorCode::Transform);
        QCOMPARE(QString::fromStdString(r.status().message()), message);
        QCOMPARE(failed.exitCode, -1);
        QVERIFY(noChildrenLeft());
    }

    void argumentsAndWorkingDirectory() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string wd = QDir(dir.path()).canonicalPath().toStdString();
        QVERIFY(QDir(dir.path()).mkpath("sub"));
        for (const char* name : {"args.sh", "sub/args.sh"})
            QVERIFY(QFile::copy(QString::fromStdString(kFixtures + "args.sh"), dir.filePath(name)));

        // Absolute uri, args split on any whitespace.
        auto r = runTransform(spec(kFixtures + "args.sh", "  --one\ttwo  three\n"), "", 30s, wd);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->stdoutData, wd + "\n--one\ntwo\nthree\n");

        // Relative uris resolve against the working directory.
        for (const char* uri : {"args.sh", "sub/args.sh", "./args.sh", "file://sub/args.sh"}) {
            auto rel = runTransform(spec(uri, "x"), "", 30s, wd);
            QVERIFY2(rel.ok(), rel.status().message().c_str());
            QCOMPARE(rel->stdoutData, wd + "\nx\n");
        }

        // No working directory: this process's own.
        auto here = runTransform(spec("file://" + kFixtures + "args.sh"), "", 30s);
        QVERIFY2(here.ok(), here.status().message().c_str());
        QCOMPARE(here->stdoutData, QDir::currentPath().toStdString() + "\n");

        // A bare name not in the working directory is looked up in PATH.
        auto path = runTransform(spec("cat"), "via PATH", 30s, wd);
        QVERIFY2(path.ok(), path.status().message().c_str());
        QCOMPARE(path->stdoutData, std::string("via PATH"));

        TransformOutput failed;
        auto missingDir = runTransform(spec("/bin/cat"), "", 30s, wd + "/nope", &failed);
        QVERIFY(!missingDir.ok());
        QCOMPARE(missingDir.status().code(), ErrorCode::Transform);
        QCOMPARE(missingDir.status().message(),
                 "cannot run transform '/bin/cat': working directory '" + wd +
                     "/nope': No such file or directory");
    }

    void concurrentRunsFromFourThreads() {
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        std::vector<std::string> errors(4);
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([t, &failures, &errors] {
                for (int i = 0; i < 8; ++i) {
                    const std::string input =
                        repeated("thread " + std::to_string(t) + " run " + std::to_string(i) + "\n",
                                 20000 + 1000 * t);
                    const bool upper = (i % 2) == 0;
                    auto r =
                        runTransform(spec(upper ? kFixtures + "ok.sh" : "/bin/cat"), input, 60s);
                    std::string expected = input;
                    if (upper) {
                        for (char& c : expected)
                            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                    }
                    if (!r.ok() || r->stdoutData != expected) {
                        ++failures;
                        errors[t] = r.ok() ? "wrong output" : r.status().message();
                    }
                }
            });
        }
        for (std::thread& th : threads)
            th.join();
        QVERIFY2(failures == 0, (errors[0] + errors[1] + errors[2] + errors[3]).c_str());
        QVERIFY(noChildrenLeft());
    }

    // Every path (ok, failure, timeout, cannot run, EPIPE) closes its fds and reaps its child.
    void leaksNoFdsAndNoZombies() {
        const int before = openFdCount();
        QVERIFY(before > 0);
        const std::string big(1 << 20, 'q');
        QVERIFY(runTransform(spec(kFixtures + "ok.sh"), "abc", 30s).ok());
        QVERIFY(runTransform(spec(kFixtures + "no_stdin.sh"), big, 30s).ok());
        QVERIFY(runTransform(spec(kFixtures + "huge_output.sh"), big, 30s).ok());
        QVERIFY(!runTransform(spec(kFixtures + "fail_stderr.sh"), big, 30s).ok());
        QVERIFY(!runTransform(spec(kFixtures + "kill_self.sh"), "", 30s).ok());
        QVERIFY(!runTransform(spec("/nonexistent"), "", 30s).ok());
        QCOMPARE(runTransform(spec(kFixtures + "sleep_forever.sh"), big, 300ms).status().code(),
                 ErrorCode::Timeout);
        QCOMPARE(openFdCount(), before);
        QVERIFY(noChildrenLeft());
    }

    void examplePaymentsEnrich() {
        if (!havePython())
            QSKIP("python3 is not installed");
        const std::string input =
            framed({"1,user-0001,999,1700000000000",
                    "2,user-0002,1000,1700000000001\n3,user-0003,10000,1700000000002\r\n", "",
                    "4,user-0004,9999,1700000000003\n\n"});
        const std::string expected = "1,user-0001,999,1700000000000,small\n"
                                     "2,user-0002,1000,1700000000001,medium\n"
                                     "3,user-0003,10000,1700000000002,large\n"
                                     "4,user-0004,9999,1700000000003,medium\n";
        auto r = runTransform(spec(kExamples + "payments_enrich.py"), input, 30s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->stdoutData, expected);

        // File pipelines pass raw bytes.
        auto raw = runTransform(spec(kExamples + "payments_enrich.py", "--raw"),
                                "1,user-0001,999,1700000000000\n"
                                "2,user-0002,1000,1700000000001\n"
                                "3,user-0003,10000,1700000000002\n"
                                "4,user-0004,9999,1700000000003",
                                30s);
        QVERIFY2(raw.ok(), raw.status().message().c_str());
        QCOMPARE(raw->stdoutData, expected);

        // Deterministic: a redo gives the same bytes.
        auto again = runTransform(spec(kExamples + "payments_enrich.py"), input, 30s);
        QVERIFY(again.ok());
        QCOMPARE(again->stdoutData, r->stdoutData);

        TransformOutput failed;
        auto bad = runTransform(spec(kExamples + "payments_enrich.py"),
                                framed({"1,u,5,1", "2,u,five,2"}), 30s, {}, &failed);
        QVERIFY(!bad.ok());
        QCOMPARE(bad.status().code(), ErrorCode::Transform);
        QVERIFY2(QString::fromStdString(bad.status().message())
                     .endsWith("exited with code 1: payments_enrich.py: message 1 line 1: amount "
                               "is not a number: b'five'"),
                 bad.status().message().c_str());
    }

    void exampleUpperUser() {
        const std::string input =
            framed({"1,user-0001,999,1700000000000",
                    "2,user-0002,1000,1700000000001\n3,user-0003,10000,1700000000002\r\n", "",
                    std::string(300, 'a') + "," + std::string(300, 'b') + ",1,2\n"});
        auto r = runTransform(spec(kExamples + "upper_user.sh"), input, 60s);
        QVERIFY2(r.ok(), r.status().message().c_str());
        QCOMPARE(r->stdoutData, "1,USER-0001,999,1700000000000\n"
                                "2,USER-0002,1000,1700000000001\n"
                                "3,USER-0003,10000,1700000000002\n" +
                                    std::string(300, 'a') + "," + std::string(300, 'B') + ",1,2\n");

        TransformOutput failed;
        auto bad = runTransform(spec(kExamples + "upper_user.sh"), "abc", 30s, {}, &failed);
        QVERIFY(!bad.ok());
        QVERIFY(QString::fromStdString(bad.status().message())
                    .endsWith("exited with code 1: upper_user.sh: truncated length header"));
    }
};

QTEST_APPLESS_MAIN(TransformRunnerTest)
#include "tst_TransformRunner.moc"
