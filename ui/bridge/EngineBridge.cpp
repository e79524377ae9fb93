#include "bridge/EngineBridge.h"

#include <chrono>

#include "bridge/TimeLag.h"
#include "pipeline/PartitionHealth.h"
#include "pipeline/PipelineCatalog.h"
#include "pipeline/PipelineRunner.h"
#include "pipeline/StatementExecutor.h"
#include "source/MockBroker.h"
#include "source/PaymentGenerator.h"
#include "store/SqlSession.h"
#include "store/Store.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSet>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace sluice::ui {

namespace {

constexpr qint64 kRateWindowMs = 3000;

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QVariant toVariant(const store::Value& v) {
    switch (v.type) {
    case store::Value::Type::Null:
        return {};
    case store::Value::Type::Integer:
        return QVariant::fromValue<qlonglong>(v.i);
    case store::Value::Type::Real:
        return v.d;
    case store::Value::Type::Text:
        return qs(v.s);
    case store::Value::Type::Blob:
        return QByteArray(v.s.data(), qsizetype(v.s.size()));
    }
    return {};
}

// Copies a result set into the console's value type, at most maxRows rows.
void copyResult(const store::ExecResult& r, size_t maxRows, QueryResult& out) {
    out.hasResultSet = r.hasResultSet;
    out.changes += r.changes;
    if (!r.hasResultSet)
        return;
    out.columns.clear();
    for (const auto& c : r.columns)
        out.columns << qs(c);
    out.rows.clear();
    const size_t n = std::min(maxRows, r.rows.size());
    out.rows.reserve(qsizetype(n));
    for (size_t i = 0; i < n; ++i) {
        QVector<QVariant> row;
        row.reserve(qsizetype(r.rows[i].size()));
        for (const auto& v : r.rows[i])
            row << toVariant(v);
        out.rows << row;
    }
    out.truncated = r.truncated || r.rows.size() > maxRows;
}

std::string trimmedStatement(const QString& script) {
    QString s = script.trimmed();
    while (s.endsWith(u';'))
        s = s.chopped(1).trimmed();
    return s.toStdString();
}

Health fromEngine(pipeline::PartitionHealth h) {
    switch (h) {
    case pipeline::PartitionHealth::Ok:
        return Health::Ok;
    case pipeline::PartitionHealth::Rewind:
        return Health::Rewind;
    case pipeline::PartitionHealth::Lagging:
        return Health::Lagging;
    case pipeline::PartitionHealth::Stalled:
        return Health::Stalled;
    case pipeline::PartitionHealth::Stopped:
        return Health::Stopped;
    }
    return Health::Ok;
}

} // namespace

QString healthName(Health health) {
    switch (health) {
    case Health::Ok:
        return QStringLiteral("OK");
    case Health::Rewind:
        return QStringLiteral("REWIND");
    case Health::Lagging:
        return QStringLiteral("LAGGING");
    case Health::Stalled:
        return QStringLiteral("STALLED");
    case Health::Stopped:
        return QStringLiteral("STOPPED");
    }
    return {};
}

EngineBridge::EngineBridge(QObject* parent) : QObject(parent) {
    qRegisterMetaType<sluice::ui::PipelineStats>();
    qRegisterMetaType<sluice::ui::QueryResult>();
    qRegisterMetaType<QVector<sluice::ui::PipelineStats>>();
    m_pollTimer.setInterval(kPollIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &EngineBridge::tick);
    m_clock.start();
}

EngineBridge::~EngineBridge() {
    closeStore();
}

QString EngineBridge::storeDir() const {
    return m_store ? qs(m_store->dir()) : QString();
}

QString EngineBridge::resourcesDir() {
    QStringList candidates;
    const QString env = qEnvironmentVariable("SLUICE_RESOURCES_DIR");
    if (!env.isEmpty())
        candidates << env;
    if (QCoreApplication::instance()) {
        const QString app = QCoreApplication::applicationDirPath();
        candidates << app + "/../../resources" << app + "/../resources"
                   << app + "/../share/sluice/resources";
    }
    candidates << QStringLiteral("/usr/share/sluice/resources");
    for (const QString& c : candidates) {
        if (QFileInfo(c + "/transforms").isDir())
            return QDir(c).canonicalPath();
    }
    return {};
}

bool EngineBridge::openStore(const QString& dir, bool create, QString* error) {
    closeStore();
    return attachStore(dir, create, error);
}

bool EngineBridge::attachStore(const QString& dir, bool create, QString* error) {
    store::StoreOptions options;
    options.create = create;
    auto opened = store::Store::open(dir.toStdString(), options);
    if (!opened) {
        if (error)
            *error = qs(opened.status().toString());
        return false;
    }
    m_store = *opened;
    auto session = store::SqlSession::open(m_store);
    if (!session) {
        if (error)
            *error = qs(session.status().toString());
        m_store.reset();
        return false;
    }
    m_monitorSession = std::move(session).value();

    auto engine = pipeline::Engine::open(m_store, "sluice");
    if (engine) {
        m_engineError.clear();
        startEngineThread(std::move(engine).value());
    } else {
        m_engineError = qs(engine.status().toString());
        emit engineMessage(tr("Pipelines are not run by this window: %1").arg(m_engineError));
    }
    startWorker();
    tick();
    m_pollTimer.start();
    emit storeOpened(storeDir());
    return true;
}

bool EngineBridge::startDemo(QString* error) {
    closeStore();
    auto fail = [&](const QString& message) {
        if (error)
            *error = message;
        closeStore();
        return false;
    };

    m_demoDir = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/sluice-demo-XXXXXX");
    if (!m_demoDir->isValid())
        return fail(tr("cannot create a temporary folder: %1").arg(m_demoDir->errorString()));
    auto broker = source::MockBroker::start(1);
    if (!broker)
        return fail(qs(broker.status().toString()));
    m_broker = std::move(broker).value();
    m_bootstrap = qs(m_broker->bootstraps());
    if (Status s = m_broker->createTopic("payments", 4); !s.ok())
        return fail(qs(s.toString()));

    // The schema and pipelines are created before the engine and the worker open, so their
    // connections see them from the start.
    const QString storePath = m_demoDir->path() + "/store";
    {
        auto st = store::Store::open(storePath.toStdString());
        if (!st)
            return fail(qs(st.status().toString()));
        auto ex = pipeline::StatementExecutor::open(*st);
        if (!ex)
            return fail(qs(ex.status().toString()));
        const std::string kafka = (m_bootstrap + "/payments").toStdString();
        const std::vector<std::string> statements = {
            "CREATE TABLE payments (id BIGINT NOT NULL, user TEXT NOT NULL, amount BIGINT, "
            "ts BIGINT, PRIMARY KEY (user, id), SHARD KEY (user))",
            "CREATE PIPELINE payments_pipe AS LOAD DATA KAFKA '" + kafka +
                "' BATCH_INTERVAL 500 REPLACE INTO TABLE payments FIELDS TERMINATED BY ',' "
                "(id, user, amount, ts)",
            "START PIPELINE payments_pipe",
        };
        for (const auto& sql : statements) {
            auto r = (*ex)->execute(sql);
            if (!r)
                return fail(qs(r.status().toString()) + " (" + qs(sql) + ")");
        }
        const QString resources = resourcesDir();
        const QString script = resources + "/transforms/payments_enrich.py";
        if (!resources.isEmpty() && QFileInfo(script).isExecutable()) {
            const std::vector<std::string> enriched = {
                "CREATE TABLE payments_enriched (id BIGINT NOT NULL, user TEXT NOT NULL, "
                "amount BIGINT, ts BIGINT, amount_band TEXT, PRIMARY KEY (user, id), "
                "SHARD KEY (user))",
                "CREATE PIPELINE enriched_pipe AS LOAD DATA KAFKA '" + kafka +
                    "' BATCH_INTERVAL 1000 WITH TRANSFORM ('" + script.toStdString() +
                    "', '', '') REPLACE INTO TABLE payments_enriched FIELDS TERMINATED BY ',' "
                    "(id, user, amount, ts, amount_band)",
                "START PIPELINE enriched_pipe",
            };
            for (const auto& sql : enriched) {
                auto r = (*ex)->execute(sql);
                if (!r) {
                    emit engineMessage(
                        tr("enriched_pipe not set up: %1").arg(qs(r.status().toString())));
                    break;
                }
            }
        }
    }
    QString openError;
    if (!attachStore(storePath, true, &openError))
        return fail(openError);
    startGenerator();
    return true;
}

void EngineBridge::closeStore() {
    const bool wasOpen = m_store != nullptr;
    m_pollTimer.stop();
    stopEngineThread(); // stops the runners first: they read from the broker and write the store
    stopWorker();
    m_monitorSession.reset();
    stopGenerator();
    m_produced.store(0);
    m_broker.reset();
    m_bootstrap.clear();
    m_store.reset();
    m_demoDir.reset();
    m_engineError.clear();
    m_last.clear();
    m_rateHistory.clear();
    m_partitionHistory.clear();
    if (wasOpen)
        emit storeClosed();
}

void EngineBridge::setDemoRate(double rowsPerSec) {
    m_demoRate.store(std::max(0.0, rowsPerSec));
}

void EngineBridge::startGenerator() {
    if (!m_broker || m_generator.joinable())
        return;
    m_generatorStop.store(false);
    const std::string bootstrap = m_bootstrap.toStdString();
    // Paces by wall clock: messages owed accrue at the current rate and are produced in chunks
    // of at least half a second's worth, faster than the rate, so producer set-up
    // time per chunk does not lower the average and a new rate applies within a second.
    m_generator = std::thread([this, bootstrap] {
        using Clock = std::chrono::steady_clock;
        int64_t nextId = m_produced.load() + 1;
        bool reported = false;
        double owed = 0;
        auto last = Clock::now();
        while (!m_generatorStop.load()) {
            const double rate = m_demoRate.load();
            const auto now = Clock::now();
            owed =
                std::min(owed + rate * std::chrono::duration<double>(now - last).count(), 2 * rate);
            last = now;
            if (rate <= 0 || owed < std::max(1.0, rate / 2)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                continue;
            }
            source::ProduceOptions options;
            options.bootstrap = bootstrap;
            options.topic = "payments";
            options.count = std::llround(owed);
            options.ratePerSec = rate * 1.5;
            options.startId = nextId;
            const int64_t base = nextId - 1;
            auto produced = source::producePayments(
                options, &m_generatorStop, [this, base](int64_t n) { m_produced.store(base + n); });
            if (!produced) {
                if (!reported) {
                    const QString message = qs(produced.status().toString());
                    QMetaObject::invokeMethod(
                        this,
                        [this, message] { emit engineMessage(tr("generator: %1").arg(message)); },
                        Qt::QueuedConnection);
                    reported = true;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(500));
                continue;
            }
            owed = std::max(0.0, owed - double(*produced));
            nextId += *produced;
            m_produced.store(nextId - 1);
        }
    });
}

void EngineBridge::stopGenerator() {
    m_generatorStop.store(true);
    if (m_generator.joinable())
        m_generator.join();
}

void EngineBridge::startWorker() {
    {
        std::lock_guard lock(m_jobMutex);
        m_workerStop = false;
        m_jobs.clear();
    }
    m_worker = std::thread([this, st = m_store] { workerLoop(st); });
}

void EngineBridge::stopWorker() {
    if (!m_worker.joinable())
        return;
    {
        std::lock_guard lock(m_jobMutex);
        m_workerStop = true;
        m_jobs.clear();
    }
    cancelSql();
    m_jobReady.notify_all();
    m_worker.join();
}

void EngineBridge::workerLoop(const std::shared_ptr<store::Store>& st) {
    auto opened = pipeline::StatementExecutor::open(st);
    std::unique_ptr<pipeline::StatementExecutor> executor;
    QString openError;
    if (opened)
        executor = std::move(opened).value();
    else
        openError = qs(opened.status().toString());
    {
        std::lock_guard lock(m_executorMutex);
        m_executor = executor.get();
    }
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m_jobMutex);
            m_jobReady.wait(lock, [this] { return m_workerStop || !m_jobs.empty(); });
            if (m_workerStop)
                break;
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
        }
        QueryResult result;
        if (executor) {
            result = runJob(*executor, job);
        } else {
            result.error = openError;
        }
        result.token = job.token;
        // Queued with this bridge as context: dropped if the bridge is gone; stale tokens are
        // the views' business.
        QMetaObject::invokeMethod(
            this,
            [this, result, console = job.console, asStatement = job.statement,
             statement = qs(job.script)] {
                pollSoon(); // pipeline statements take effect at the engine's next poll
                if (console) {
                    emit queryFinished(result);
                    return;
                }
                emit commandFinished(statement, result.ok, result.error);
                if (asStatement)
                    emit statementFinished(result);
            },
            Qt::QueuedConnection);
    }
    std::lock_guard lock(m_executorMutex);
    m_executor = nullptr;
}

QueryResult EngineBridge::runJob(pipeline::StatementExecutor& executor, const Job& job) {
    QueryResult out;
    QElapsedTimer timer;
    timer.start();
    const std::string script = trimmedStatement(qs(job.script));
    if (script.empty()) {
        out.ok = true;
        return out;
    }
    if (script.find(';') == std::string::npos) {
        auto r = executor.execute(script, kMaxConsoleRows);
        out.statements = 1;
        if (r) {
            copyResult(*r, kMaxConsoleRows, out);
            out.ok = true;
        } else {
            out.error = qs(r.status().toString());
        }
    } else {
        Status s = executor.executeScript(script, [&](const store::ExecResult& r) {
            ++out.statements;
            if (r.hasResultSet || !out.hasResultSet)
                copyResult(r, kMaxConsoleRows, out);
        });
        out.ok = s.ok();
        if (!s.ok())
            out.error = qs(s.toString());
    }
    out.seconds = double(timer.nsecsElapsed()) / 1e9;
    return out;
}

void EngineBridge::enqueue(Job job) {
    {
        std::lock_guard lock(m_jobMutex);
        m_jobs.push_back(std::move(job));
    }
    m_jobReady.notify_one();
}

quint64 EngineBridge::runSql(const QString& script) {
    if (!m_worker.joinable())
        return 0;
    const quint64 token = m_nextToken++;
    enqueue(Job{token, script.toStdString(), true});
    return token;
}

void EngineBridge::cancelSql() {
    std::lock_guard lock(m_executorMutex);
    if (m_executor)
        m_executor->interrupt();
}

quint64 EngineBridge::runStatement(const QString& statement) {
    if (!m_worker.joinable())
        return 0;
    const quint64 token = m_nextToken++;
    enqueue(Job{token, statement.toStdString(), false, true});
    return token;
}

void EngineBridge::startPipeline(const QString& name) {
    if (m_worker.joinable())
        enqueue(Job{m_nextToken++, "START PIPELINE IF NOT RUNNING " + name.toStdString(), false});
}

void EngineBridge::stopPipeline(const QString& name) {
    if (m_worker.joinable())
        enqueue(Job{m_nextToken++, "STOP PIPELINE IF RUNNING " + name.toStdString(), false});
}

void EngineBridge::startEngineThread(std::unique_ptr<pipeline::Engine> engine) {
    {
        std::lock_guard lock(m_engineMutex);
        m_engineStop = false;
        m_published.clear();
        m_pollError.clear();
    }
    m_engineThread = std::thread([this, engine = std::move(engine)]() mutable {
        std::unique_lock lock(m_engineMutex);
        while (!m_engineStop) {
            lock.unlock();
            Status s = engine->poll();
            auto snapshots = engine->snapshots();
            lock.lock();
            m_published = std::move(snapshots);
            m_pollError = s.ok() ? std::string() : s.toString();
            m_engineWake.wait_for(lock, std::chrono::milliseconds(kPollIntervalMs),
                                  [this] { return m_engineStop || m_pollNow; });
            m_pollNow = false;
        }
        lock.unlock();
        engine.reset(); // the Engine is used and destroyed on this thread only
    });
}

void EngineBridge::stopEngineThread() {
    if (!m_engineThread.joinable())
        return;
    {
        std::lock_guard lock(m_engineMutex);
        m_engineStop = true;
    }
    m_engineWake.notify_all();
    m_engineThread.join();
    m_published.clear();
}

void EngineBridge::pollSoon() {
    {
        std::lock_guard lock(m_engineMutex);
        m_pollNow = true;
    }
    m_engineWake.notify_all();
}

void EngineBridge::tick() {
    if (!m_store)
        return;
    if (m_engineThread.joinable()) {
        std::string error;
        {
            std::lock_guard lock(m_engineMutex);
            error = m_pollError;
        }
        const QString message = qs(error);
        if (message != m_engineError && !message.isEmpty())
            emit engineMessage(message);
        m_engineError = message;
    }
    m_last = collect();
    emit snapshotsUpdated(m_last);
}

void EngineBridge::rateOf(PipelineStats& stats) {
    const qint64 now = m_clock.elapsed();
    auto& history = m_rateHistory[stats.name];
    if (!history.empty() && stats.rows < history.back().rows)
        history.clear(); // a new runner counts from zero
    history.push_back({now, stats.rows, stats.bytes});
    while (history.size() > 2 && now - history.front().ms > kRateWindowMs)
        history.pop_front();
    const RateSample& first = history.front();
    if (now <= first.ms)
        return;
    stats.rowsPerSec = double(stats.rows - first.rows) * 1000.0 / double(now - first.ms);
    stats.bytesPerSec = double(stats.bytes - first.bytes) * 1000.0 / double(now - first.ms);
}

void EngineBridge::assessPartitions(PipelineStats& stats, double now) {
    auto& histories = m_partitionHistory[stats.name];
    for (auto& p : stats.partitions) {
        PartitionHistory& h = histories[p.partition];
        if (stats.active) {
            // A sample per poll while the runner runs: the consumer "reports in".
            h.samples.emplace_back(now, p.cursor, p.highWatermark);
            while (h.samples.size() > size_t(kHealthSamples))
                h.samples.pop_front();
        }
        if (p.highWatermark >= 0 &&
            (h.watermarks.empty() || h.watermarks.back().second != p.highWatermark)) {
            if (!h.watermarks.empty() && p.highWatermark < h.watermarks.back().second)
                h.watermarks.clear(); // a recreated topic
            h.watermarks.emplace_back(now, p.highWatermark);
        }
        while (h.watermarks.size() > 2 &&
               now - h.watermarks.front().first > kWatermarkHistorySeconds)
            h.watermarks.pop_front();

        std::vector<pipeline::PartitionSample> window;
        window.reserve(h.samples.size());
        for (const auto& [t, cursor, hw] : h.samples)
            window.push_back({t, cursor, hw});
        // Without a runner no samples come in, but the engine still follows the topic: judge
        // the last reported position against today's high watermark (Burrow: a consumer that
        // stopped committing with lag left is STOPPED, even if it was caught up when it stopped).
        if (!stats.active && !window.empty() && p.highWatermark > window.back().highWatermark)
            window.back().highWatermark = p.highWatermark;
        p.health = fromEngine(pipeline::evaluatePartitionHealth(window, now));
        std::deque<WatermarkPoint> points;
        for (const auto& [t, hw] : h.watermarks)
            points.push_back({t, hw});
        p.lagSeconds = p.lag > 0 ? estimateTimeLag(points, p.cursor, now) : 0;
        if (int(p.health) > int(stats.health))
            stats.health = p.health;
        stats.lagSeconds = std::max(stats.lagSeconds, p.lagSeconds);
    }
}

QVector<PipelineStats> EngineBridge::collect() {
    std::map<std::string, pipeline::PipelineSnapshot> snapshots;
    if (m_engineThread.joinable()) {
        std::vector<pipeline::PipelineSnapshot> published;
        {
            std::lock_guard lock(m_engineMutex);
            published = m_published;
        }
        for (auto& s : published)
            snapshots[s.name] = std::move(s);
    }
    std::vector<pipeline::PipelineRow> rows;
    std::optional<pipeline::PipelineCatalog> catalog;
    if (m_monitorSession) {
        catalog.emplace(m_monitorSession->db(), "information_schema");
        if (auto listed = catalog->list())
            rows = std::move(listed).value();
    }
    // Pipelines running here but not (yet) listed still show.
    for (const auto& entry : snapshots) {
        const std::string& name = entry.first;
        const bool listed =
            std::any_of(rows.begin(), rows.end(),
                        [&](const pipeline::PipelineRow& r) { return r.name == name; });
        if (!listed) {
            pipeline::PipelineRow row;
            row.name = name;
            row.state = entry.second.state;
            rows.push_back(std::move(row));
        }
    }

    const double now = double(m_clock.elapsed()) / 1000.0;
    QVector<PipelineStats> out;
    out.reserve(qsizetype(rows.size()));
    QSet<QString> seen;
    for (const auto& row : rows) {
        PipelineStats st;
        st.name = qs(row.name);
        st.state = qs(row.state);
        auto it = snapshots.find(row.name);
        if (it != snapshots.end()) {
            const auto& s = it->second;
            if (!s.state.empty())
                st.state = qs(s.state);
            st.active = s.active;
            st.rows = s.rows;
            st.batches = s.batches;
            st.bytes = s.bytes;
            st.failedBatches = s.failedBatches;
            st.lastError = qs(s.lastError);
            for (const auto& p : s.partitions)
                st.partitions.push_back({p.partition, p.cursor, p.highWatermark, p.lag()});
        }
        if (st.partitions.isEmpty() && catalog) {
            if (auto cursors = catalog->cursors(row.name)) {
                for (const auto& [id, c] : *cursors) {
                    const qint64 lag = std::max<qint64>(0, c.latest - c.cursor);
                    st.partitions.push_back({id, c.cursor, c.latest, lag});
                }
            }
        }
        for (const auto& p : st.partitions) {
            st.lag += p.lag;
            st.worstPartitionLag = std::max(st.worstPartitionLag, p.lag);
        }
        if (st.active)
            rateOf(st);
        assessPartitions(st, now);
        seen.insert(st.name);
        out.push_back(std::move(st));
    }
    for (auto it = m_rateHistory.begin(); it != m_rateHistory.end();) {
        if (seen.contains(it.key()))
            ++it;
        else
            it = m_rateHistory.erase(it);
    }
    for (auto it = m_partitionHistory.begin(); it != m_partitionHistory.end();) {
        if (seen.contains(it.key()))
            ++it;
        else
            it = m_partitionHistory.erase(it);
    }
    return out;
}

// ---- QuerySession ----------------------------------------------------------------------------

std::unique_ptr<QuerySession> QuerySession::open(const EngineBridge& bridge, QString* error) {
    if (!bridge.store()) {
        if (error)
            *error = EngineBridge::tr("no store is open");
        return nullptr;
    }
    auto session = store::SqlSession::open(bridge.store());
    if (!session) {
        if (error)
            *error = qs(session.status().toString());
        return nullptr;
    }
    std::unique_ptr<QuerySession> out(new QuerySession);
    out->m_session = std::move(session).value();
    return out;
}

QuerySession::~QuerySession() = default;

QVector<QuerySession::Table> QuerySession::tables(QString* error) {
    QVector<Table> out;
    if (Status s = m_session->refreshSchema(); !s.ok()) {
        if (error)
            *error = qs(s.toString());
        return out;
    }
    auto listed = m_session->tables();
    if (!listed) {
        if (error)
            *error = qs(listed.status().toString());
        return out;
    }
    for (const auto& t : *listed) {
        Table table;
        table.name = qs(t.name);
        table.reference = t.kind == store::TableKind::Reference;
        for (const auto& c : t.shardKey)
            table.shardKey << qs(c);
        out.push_back(std::move(table));
    }
    std::sort(out.begin(), out.end(),
              [](const Table& a, const Table& b) { return a.name < b.name; });
    return out;
}

QueryResult QuerySession::query(const QString& sql, size_t maxRows) {
    QueryResult out;
    QElapsedTimer timer;
    timer.start();
    auto r = m_session->execute(sql.toStdString(), maxRows);
    out.statements = 1;
    if (r) {
        copyResult(*r, maxRows, out);
        out.ok = true;
    } else {
        out.error = qs(r.status().toString());
    }
    out.seconds = double(timer.nsecsElapsed()) / 1e9;
    return out;
}

} // namespace sluice::ui
