#pragma once
// Helpers for integration tests that drive the real sluicectl over the embedded broker.

#include <QProcess>
#include <QStringList>
#include <QTest>

#include <memory>

namespace testcli {

inline QString ctl() { return QStringLiteral(SLUICECTL_PATH); }

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

inline Run run(const QStringList& args, int timeoutMs = 120000, const QByteArray& input = {}) {
    QProcess p;
    p.start(ctl(), args);
    if (!p.waitForStarted())
        return {};
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        return {-1, QString::fromUtf8(p.readAllStandardOutput()),
                "timed out: " + QString::fromUtf8(p.readAllStandardError())};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

// The last line of `sluicectl sql --format csv -e query` (a single value).
inline QString scalar(const QString& store, const QString& query) {
    Run r = run({"sql", "--store", store, "--format", "csv", "-e", query});
    QStringList lines = r.out.trimmed().split('\n');
    return r.exitCode == 0 && lines.size() >= 2 ? lines.last().trimmed() : "error: " + r.err;
}

// `sluicectl broker` in the background; bootstrap() once it printed its line.
class Broker {
public:
    explicit Broker(const QStringList& topics) {
        QStringList args{"broker"};
        for (auto& t : topics)
            args << "--topic" << t;
        m_proc.start(ctl(), args);
    }
    ~Broker() {
        m_proc.terminate();
        if (!m_proc.waitForFinished(5000))
            m_proc.kill();
    }
    QString bootstrap() {
        for (int i = 0; i < 100 && m_bootstrap.isEmpty(); ++i) {
            m_proc.waitForReadyRead(100);
            m_buffer += m_proc.readAllStandardOutput();
            for (auto& line : QString::fromUtf8(m_buffer).split('\n'))
                if (line.startsWith("bootstrap="))
                    m_bootstrap = line.mid(10).trimmed();
        }
        return m_bootstrap;
    }

private:
    QProcess m_proc;
    QByteArray m_buffer;
    QString m_bootstrap;
};

} // namespace testcli
