// sluice: the desktop app. Composition only: arguments, the main window, and the screenshot
// run used for the README and for review.

#include "MainWindow.h"
#include "bridge/EngineBridge.h"
#include "browser/TableBrowser.h"
#include "console/ConsoleView.h"
#include "monitor/MonitorView.h"
#include "offsets/OffsetsDialog.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace {

constexpr int kScreenshotDelayMs = 6000;
constexpr int kConsoleTimeoutMs = 20000;
const char* const kShotPipeline = "payments_pipe";
const char* const kScreenshotQuery =
    "SELECT user, count(*), sum(amount) FROM payments GROUP BY user ORDER BY 3 DESC LIMIT 20";

bool save(const QPixmap& pixmap, const QString& dir, const char* file) {
    const QString path = QDir(dir).filePath(QString::fromLatin1(file));
    if (!pixmap.save(path)) {
        std::fprintf(stderr, "error: cannot write %s\n", qPrintable(path));
        return false;
    }
    std::fprintf(stdout, "%s\n", qPrintable(path));
    return true;
}

// Grabs every tab of the window, and the offsets dialog of the first pipeline with a computed
// shift of -100, into dir; false when a file cannot be written.
bool grabViews(sluice::ui::MainWindow& window, const QString& dir) {
    using sluice::ui::MainWindow;
    const struct {
        int tab;
        const char* file;
    } shots[] = {{MainWindow::MonitorTab, "monitor.png"},
                 {MainWindow::TablesTab, "tables.png"},
                 {MainWindow::ConsoleTab, "console.png"},
                 {MainWindow::DesignerTab, "designer.png"}};
    bool ok = true;
    for (const auto& shot : shots) {
        window.tabs()->setCurrentIndex(shot.tab);
        if (shot.tab == MainWindow::TablesTab)
            window.tables()->refresh();
        QCoreApplication::processEvents();
        if (shot.tab == MainWindow::MonitorTab) {
            window.monitor()->refreshLogs();
            window.monitor()->redrawNow();
        }
        QCoreApplication::processEvents();
        ok = save(window.grab(), dir, shot.file) && ok;
    }
    window.tabs()->setCurrentIndex(MainWindow::MonitorTab);
    auto* model = window.pipelineModel();
    const QString pipeline =
        model->rowOf(kShotPipeline) >= 0 ? QString::fromLatin1(kShotPipeline) : model->nameAt(0);
    std::unique_ptr<sluice::ui::OffsetsDialog> dialog(window.makeOffsetsDialog(pipeline));
    if (!dialog) {
        std::fprintf(stderr, "error: no pipeline for the offsets dialog\n");
        return false;
    }
    dialog->setMode(sluice::ui::OffsetsDialog::Mode::Shift);
    dialog->setShift(-100);
    dialog->show();
    QCoreApplication::processEvents();
    ok = save(dialog->grab(), dir, "offsets.png") && ok;
    return ok;
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Sluice"));
    QCoreApplication::setApplicationName(QStringLiteral("sluice"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Build, test and watch Kafka ingestion pipelines into a sharded SQLite store."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QStringLiteral("Open a throw-away store with an embedded broker, "
                                                 "a payments generator and a running pipeline."));
    const QCommandLineOption store(QStringLiteral("store"),
                                   QStringLiteral("Open (or create) the store in DIR."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption screenshots(
        QStringLiteral("screenshots"),
        QStringLiteral("Write a PNG of each main view (monitor, tables, console, designer, "
                       "offsets) into DIR after a few seconds, then exit."),
        QStringLiteral("DIR"));
    parser.addOptions({demo, store, screenshots});
    parser.process(app);

    if (parser.isSet(demo) && parser.isSet(store)) {
        std::fprintf(stderr, "error: --demo and --store exclude each other\n");
        return 2;
    }
    const QString shotDir = parser.value(screenshots);
    if (parser.isSet(screenshots) && !parser.isSet(demo) && !parser.isSet(store)) {
        std::fprintf(stderr, "error: --screenshots needs --demo or --store DIR\n");
        return 2;
    }

    sluice::ui::MainWindow window;
    const bool batch = parser.isSet(screenshots);
    QString error;
    bool opened = true;
    if (parser.isSet(demo))
        opened = window.startDemo(batch ? &error : nullptr);
    else if (parser.isSet(store))
        opened = window.openStore(parser.value(store), true, batch ? &error : nullptr);
    if (batch && !opened) {
        std::fprintf(stderr, "error: %s\n", qPrintable(error));
        return 1;
    }

    if (batch) {
        if (!QDir().mkpath(shotDir)) {
            std::fprintf(stderr, "error: cannot create %s\n", qPrintable(shotDir));
            return 1;
        }
        window.resize(1400, 900);
        QTimer::singleShot(kScreenshotDelayMs, &window, [&window, shotDir] {
            auto* console = window.console();
            auto done = std::make_shared<bool>(false); // the console's answer or the timeout
            auto finish = [&window, shotDir, done] {
                if (*done)
                    return;
                *done = true;
                QCoreApplication::exit(grabViews(window, shotDir) ? 0 : 1);
            };
            QObject::connect(console, &sluice::ui::ConsoleView::finished, &window, finish);
            QTimer::singleShot(kConsoleTimeoutMs, &window, finish);
            const int row = window.pipelineModel()->rowOf(QString::fromLatin1(kShotPipeline));
            if (row >= 0)
                window.pipelineView()->selectRow(row);
            window.tabs()->setCurrentIndex(sluice::ui::MainWindow::ConsoleTab);
            console->setSql(QString::fromLatin1(kScreenshotQuery));
            if (!console->run())
                finish();
        });
    }
    window.show();
    return app.exec();
}
