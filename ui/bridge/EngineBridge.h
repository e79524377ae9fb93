#pragma once
// EngineBridge: the only object of the app that sees both Qt and the engine.
//
// It owns, for one open store:
//  - the Engine (runner lock + pipeline runners) on its own engine thread, which calls
//    Engine::poll() a few times a second (poll may join a stopping runner, so never on the GUI
//    thread) and publishes Engine::snapshots() under a mutex; a GUI QTimer takes the latest
//    copy, adds the catalog's view (state, cursors) and emits plain value snapshots
//    (PipelineStats) through snapshotsUpdated();
//  - a statement worker: one std::thread owning a StatementExecutor, fed by a queue. Results
//    come back to the GUI thread as queued calls with this bridge as context object, tagged
//    with the request's token so a view can drop stale answers;
//  - for the demo: a temporary store folder, the embedded broker (MockBroker) and a payments
//    generator thread producing CSV at an adjustable steady rate until the store is closed.
//
// Threading: every public function is called on the thread that owns the bridge (the GUI
// thread); signals are emitted on it. Nothing of the engine is shared with a view.

#include <QElapsedTimer>
#include <QHash>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QVariant>
#include <QVector>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

class QTemporaryDir;

namespace sluice::store {
class Store;
class SqlSession;
} // namespace sluice::store
namespace sluice::pipeline {
class Engine;
struct PipelineSnapshot;
class StatementExecutor;
} // namespace sluice::pipeline
namespace sluice::source {
class MockBroker;
} // namespace sluice::source

namespace sluice::ui {

// Burrow's partition health (engine/pipeline/PartitionHealth.h), mirrored for the views.
enum class Health { Ok, Rewind, Lagging, Stalled, Stopped }; // in order of severity
QString healthName(Health health);                           // "OK", "REWIND", ... (Burrow's names)

struct PartitionStats {
    int partition = 0;
    qint64 cursor = 0;
    qint64 highWatermark = -1; // -1: not known yet
    qint64 lag = 0;
    double lagSeconds = 0; // age of the message at the cursor (estimated)
    Health health = Health::Ok;
};

struct PipelineStats {
    QString name;
    QString state;       // Running, Stopped, Error
    bool active = false; // a runner thread of this process runs it
    qint64 rows = 0;     // loaded by this process's runner
    qint64 batches = 0;
    qint64 failedBatches = 0;
    double rowsPerSec = 0; // over the last couple of seconds
    qint64 bytes = 0;      // extracted by this process's runner
    double bytesPerSec = 0;
    qint64 lag = 0; // sum over partitions
    qint64 worstPartitionLag = 0;
    double lagSeconds = 0;      // the oldest partition's time lag
    Health health = Health::Ok; // the worst partition's
    QString lastError;
    QVector<PartitionStats> partitions;
};

// One statement's or script's outcome for the console. Rows are capped (truncated says so).
struct QueryResult {
    quint64 token = 0;
    bool ok = false;
    QString error;
    bool hasResultSet = false;
    QStringList columns;
    QVector<QVector<QVariant>> rows;
    qint64 changes = 0;
    int statements = 0;
    bool truncated = false;
    double seconds = 0;
};

class EngineBridge : public QObject {
    Q_OBJECT
public:
    static constexpr int kPollIntervalMs = 250;
    static constexpr size_t kMaxConsoleRows = 10000;
    static constexpr double kDefaultDemoRate = 2000;
    static constexpr int kHealthSamples = 40;                // 10 s of polls
    static constexpr double kWatermarkHistorySeconds = 1800; // for the time lag

    explicit EngineBridge(QObject* parent = nullptr);
    ~EngineBridge() override;
    EngineBridge(const EngineBridge&) = delete;
    EngineBridge& operator=(const EngineBridge&) = delete;

    // Opens (create: or creates) the store in dir, closing the current one. Takes the runner
    // lock; when another process holds it the store still opens for SQL and lastEngineError()
    // names the holder. Returns false with *error set when the store cannot be opened.
    bool openStore(const QString& dir, bool create, QString* error);
    // A throw-away store, the embedded broker with topic `payments` (4 partitions), the
    // generator, table `payments` sharded by user and running pipeline payments_pipe, loading
    // with REPLACE so that a replay overwrites the rows it re-reads (plus
    // enriched_pipe through resources/transforms/payments_enrich.py when that script exists).
    bool startDemo(QString* error);
    // Stops runners, the generator and the broker; deletes a demo store.
    void closeStore();

    bool isOpen() const { return m_store != nullptr; }
    bool isDemo() const { return m_broker != nullptr; }
    bool enginesRunning() const { return m_engineThread.joinable(); }
    QString storeDir() const;
    QString lastEngineError() const { return m_engineError; }
    std::shared_ptr<store::Store> store() const { return m_store; }
    QString demoBootstrap() const { return m_bootstrap; }

    double demoRate() const { return m_demoRate.load(); }
    void setDemoRate(double rowsPerSec);
    qint64 demoProduced() const { return m_produced.load(); }

    // Queues a script (one or more statements separated by ';') on the statement worker.
    // Returns the token that queryFinished() will carry; 0 when no store is open.
    quint64 runSql(const QString& script);
    // Interrupts the statement the worker runs now.
    void cancelSql();
    // Any statement through the worker, off the GUI thread (e.g. ALTER PIPELINE ... SET
    // OFFSETS, which a running pipeline applies at its next batch boundary). The outcome comes
    // as commandFinished() and statementFinished() with the returned token; 0: no store.
    quint64 runStatement(const QString& statement);
    // START / STOP PIPELINE through the worker; the outcome comes as commandFinished().
    void startPipeline(const QString& name);
    void stopPipeline(const QString& name);

    const QVector<PipelineStats>& lastSnapshots() const { return m_last; }

    // The resources folder (transforms, sample pipelines), found next to the executable
    // (build/app/sluice -> ../../resources, bin/ -> ../share/sluice/resources) or
    // /usr/share/sluice/resources. Empty when none exists.
    static QString resourcesDir();

signals:
    void storeOpened(const QString& dir);
    void storeClosed();
    void snapshotsUpdated(const QVector<sluice::ui::PipelineStats>& pipelines);
    void queryFinished(const sluice::ui::QueryResult& result);
    void commandFinished(const QString& statement, bool ok, const QString& message);
    void statementFinished(const sluice::ui::QueryResult& result);
    void engineMessage(const QString& message);

private:
    struct Job {
        quint64 token = 0;
        std::string script;
        bool console = true;
        bool statement = false; // also emit statementFinished
    };

    // Opens dir without closing what is open (startDemo() has set up the broker first).
    bool attachStore(const QString& dir, bool create, QString* error);
    void tick();
    void startEngineThread(std::unique_ptr<pipeline::Engine> engine);
    void stopEngineThread();
    void pollSoon(); // wakes the engine thread, e.g. after a pipeline statement
    QVector<PipelineStats> collect();
    void startWorker();
    void stopWorker();
    void workerLoop(const std::shared_ptr<store::Store>& store);
    static QueryResult runJob(pipeline::StatementExecutor& executor, const Job& job);
    void enqueue(Job job);
    void startGenerator();
    void stopGenerator();
    void rateOf(PipelineStats& stats);
    void assessPartitions(PipelineStats& stats, double now);

    std::shared_ptr<store::Store> m_store;
    // Engine thread. m_published, m_pollError, m_engineStop and m_pollNow: m_engineMutex.
    std::thread m_engineThread;
    std::mutex m_engineMutex;
    std::condition_variable m_engineWake;
    bool m_engineStop = false;
    bool m_pollNow = false;
    std::vector<pipeline::PipelineSnapshot> m_published;
    std::string m_pollError;
    std::unique_ptr<store::SqlSession> m_monitorSession; // GUI thread: catalog reads
    QString m_engineError;
    QTimer m_pollTimer;
    QElapsedTimer m_clock;
    QVector<PipelineStats> m_last;
    // Rate history: per pipeline, (ms, rows, bytes) samples of the last few seconds.
    struct RateSample {
        qint64 ms = 0;
        qint64 rows = 0;
        qint64 bytes = 0;
    };
    QHash<QString, std::deque<RateSample>> m_rateHistory;
    // Per pipeline and partition: the health window and the high watermark history.
    struct PartitionHistory {
        std::deque<std::tuple<double, qint64, qint64>> samples; // (s, cursor, high watermark)
        std::deque<std::pair<double, qint64>> watermarks;       // (s, high watermark)
    };
    QHash<QString, QHash<int, PartitionHistory>> m_partitionHistory;

    // Statement worker. The queue and stop flag are guarded by m_jobMutex.
    std::thread m_worker;
    std::mutex m_jobMutex;
    std::condition_variable m_jobReady;
    std::deque<Job> m_jobs;
    bool m_workerStop = false;
    std::mutex m_executorMutex;                        // guards m_executor for cancelSql()
    pipeline::StatementExecutor* m_executor = nullptr; // owned by the worker thread
    quint64 m_nextToken = 1;

    // Demo.
    std::unique_ptr<QTemporaryDir> m_demoDir;
    std::unique_ptr<source::MockBroker> m_broker;
    QString m_bootstrap;
    std::thread m_generator;
    std::atomic<bool> m_generatorStop{false};
    std::atomic<double> m_demoRate{kDefaultDemoRate};
    std::atomic<qint64> m_produced{0};
};

} // namespace sluice::ui

namespace sluice::ui {

// A read session of the store for small, paged queries on the calling thread (the table
// browser). Owns its own SQLite connection; one thread at a time.
class QuerySession {
public:
    struct Table {
        QString name;
        bool reference = false;
        QStringList shardKey;
    };

    static std::unique_ptr<QuerySession> open(const EngineBridge& bridge, QString* error);
    ~QuerySession();
    QuerySession(const QuerySession&) = delete;
    QuerySession& operator=(const QuerySession&) = delete;

    // Tables of the catalog, re-reading the schema first (tables created since show up).
    QVector<Table> tables(QString* error);
    QueryResult query(const QString& sql, size_t maxRows);

private:
    QuerySession() = default;
    std::unique_ptr<store::SqlSession> m_session;
};

} // namespace sluice::ui

Q_DECLARE_METATYPE(sluice::ui::PipelineStats)
Q_DECLARE_METATYPE(sluice::ui::QueryResult)
