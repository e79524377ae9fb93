// sluicectl run --store DIR [--pipeline NAME]... [--until-caught-up] [--timeout S]
#include "Commands.h"

#include "pipeline/PipelineCatalog.h"
#include "pipeline/PipelineRunner.h"
#include "source/KafkaSource.h"
#include "store/Sqlite.h"
#include "store/Store.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

namespace sluicectl {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void onSignal(int) { g_stop.store(true); }

using namespace sluice;

// High watermarks of every partition of each pipeline's topic, asked of the broker now.
Result<std::map<std::string, std::map<int32_t, int64_t>>>
targetsNow(pipeline::PipelineCatalog& catalog, const std::vector<std::string>& names) {
    std::map<std::string, std::map<int32_t, int64_t>> out;
    for (auto& n : names) {
        auto row = catalog.get(n);
        if (!row.ok())
            return row.status();
        if (!row->has_value())
            continue;
        auto spec = pipeline::PipelineCatalog::specOf(**row);
        if (!spec.ok())
            return spec.status();
        source::KafkaSourceOptions o{spec->brokers, spec->topic, spec->configJson, spec->credentialsJson,
                                     "sluice-run"};
        auto src = source::KafkaSource::open(o);
        if (!src.ok())
            return src.status();
        auto marks = (*src)->watermarks(10000);
        if (!marks.ok())
            return Status(marks.status().code(), "pipeline " + n + ": " + marks.status().message());
        for (auto& [p, wm] : *marks)
            out[n][p] = wm.high;
    }
    return out;
}

} // namespace

int runCommand(const Args& args) {
    ArgReader a(args);
    std::string storeDir, timeoutText, value, error;
    std::vector<std::string> only;
    bool untilCaughtUp = false;
    while (!a.done()) {
        if (a.option("--store", storeDir, error) || a.option("--timeout", timeoutText, error)) {
            if (!error.empty())
                return fail(error);
            continue;
        }
        if (a.option("--pipeline", value, error)) {
            if (!error.empty())
                return fail(error);
            only.push_back(value);
            continue;
        }
        if (a.flag("--until-caught-up")) {
            untilCaughtUp = true;
            continue;
        }
        return fail("unknown argument '" + a.peek() + "' for run");
    }
    if (storeDir.empty())
        return fail("run needs --store DIR");
    double timeout = 0;
    if (!timeoutText.empty()) {
        try {
            timeout = std::stod(timeoutText);
        } catch (const std::exception&) {
            return fail("--timeout must be a number of seconds");
        }
    }
    auto store = store::Store::open(storeDir, {0, false});
    if (!store.ok())
        return fail(store.status().message());
    auto engine = pipeline::Engine::open(*store, "sluicectl run");
    if (!engine.ok())
        return fail(engine.status().message());

    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    auto catalogDb = store::openDb((*store)->catalogPath(), false);
    if (!catalogDb.ok())
        return fail(catalogDb.status().message());
    pipeline::PipelineCatalog catalog(catalogDb->get(), "main");
    for (auto& n : only) {
        auto row = catalog.get(n);
        if (!row.ok())
            return fail(row.status().message());
        if (!row->has_value())
            return fail("pipeline '" + n + "' does not exist");
    }
    std::vector<std::string> running;
    {
        auto rows = catalog.list();
        if (!rows.ok())
            return fail(rows.status().message());
        for (auto& r : *rows)
            if (r.state == pipeline::kStateRunning &&
                (only.empty() || std::find(only.begin(), only.end(), r.name) != only.end()))
                running.push_back(r.name);
    }
    std::map<std::string, std::map<int32_t, int64_t>> targets;
    if (untilCaughtUp) {
        auto t = targetsNow(catalog, running);
        if (!t.ok())
            return fail(t.status().message());
        targets = std::move(*t);
    }
    auto start = std::chrono::steady_clock::now();
    auto lastReport = start;
    int64_t lastRows = 0;
    int exitCode = 0;
    while (!g_stop.load()) {
        if (auto st = (*engine)->poll(only); !st.ok()) {
            std::cerr << "error: " << st.toString() << std::endl;
            exitCode = 1;
            break;
        }
        auto snaps = (*engine)->snapshots();
        auto now = std::chrono::steady_clock::now();
        if (now - lastReport >= std::chrono::seconds(1)) {
            int64_t rows = 0, lag = 0;
            for (auto& s : snaps) {
                rows += s.rows;
                lag += s.lag();
            }
            double dt = std::chrono::duration<double>(now - lastReport).count();
            std::fprintf(stderr, "[%6.1fs] pipelines=%zu rows=%lld rows/s=%.0f lag=%lld\n",
                         std::chrono::duration<double>(now - start).count(), snaps.size(),
                         static_cast<long long>(rows), (rows - lastRows) / dt, static_cast<long long>(lag));
            lastRows = rows;
            lastReport = now;
        }
        // A pipeline that ended in Error fails the run.
        auto rows = catalog.list();
        if (rows.ok()) {
            bool anyError = false;
            for (auto& r : *rows)
                if (r.state == pipeline::kStateError &&
                    std::find(running.begin(), running.end(), r.name) != running.end()) {
                    std::cerr << "error: pipeline " << r.name << " is in state Error";
                    for (auto& s : snaps)
                        if (s.name == r.name && !s.lastError.empty())
                            std::cerr << ": " << s.lastError;
                    std::cerr << std::endl;
                    anyError = true;
                }
            if (anyError) {
                exitCode = 1;
                break;
            }
        }
        if (untilCaughtUp) {
            bool caught = true;
            for (auto& [name, parts] : targets) {
                auto cur = catalog.cursors(name);
                if (!cur.ok()) {
                    caught = false;
                    break;
                }
                for (auto& [p, hw] : parts) {
                    auto it = cur->find(p);
                    if (hw > 0 && (it == cur->end() || it->second.cursor < hw))
                        caught = false;
                }
            }
            if (caught)
                break;
        }
        if (timeout > 0 && std::chrono::duration<double>(now - start).count() > timeout) {
            std::cerr << "error: --timeout " << timeoutText << " s reached" << std::endl;
            exitCode = 1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    (*engine)->stopAll();
    return exitCode;
}

} // namespace sluicectl
