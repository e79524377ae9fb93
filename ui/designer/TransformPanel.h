#pragma once
// TransformPanel: edits the Transform node's inline script (highlighted; typing merges into one
// undo step per node) and tests the pipeline on real data: "Test" samples N messages from the
// source topic, runs the transform on them and parses the output with the Format node's CSV
// options, then shows input records, output, parsed rows and per-record errors.
//
// "Compare" runs the deployed pipeline's transform (the store's pipeline of the design's name,
// its script file as deployed) and the edited one on the same sample, and lists the parsed rows
// only one side produced.
//
// Threading: the test and the comparison run on a worker thread (TransformTester); its result comes
// back as a queued call on this panel, tagged with a token so an older run's result is dropped. The
// destructor waits for a running test (bounded by its timeouts).

#include "TransformTester.h"

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <QWidget>

#include <functional>
#include <memory>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;
class QThread;
class QTimer;
class QUndoStack;

namespace sluice::ui::designer {

class PipelineDocument;

class TransformPanel : public QWidget {
    Q_OBJECT
public:
    // workingDir: where relative script paths resolve (the store folder when one is open).
    TransformPanel(PipelineDocument* document, QUndoStack* undoStack,
                   std::function<QString()> workingDir, QWidget* parent = nullptr);
    ~TransformPanel() override;

    QPlainTextEdit* scriptEditor() const { return m_script; }
    QTableWidget* inputTable() const { return m_input; }
    QTableWidget* rowsTable() const { return m_rows; }
    QTableWidget* errorsTable() const { return m_errors; }
    QLabel* statusLabel() const { return m_status; }
    QPushButton* compareButton() const { return m_compareButton; }
    // Side ("deployed" / "edited") then the parsed fields of each differing row.
    QTableWidget* compareTable() const { return m_compare; }
    bool testRunning() const { return m_thread != nullptr; }

    // Starts a test of the current design (the Test button).
    void startTest();
    // Shows a result (the worker's, or one computed by a test).
    void showResult(const TransformTestResult& result);

    // The deployed definition of a pipeline by name (NotFound when none); set by the designer.
    using DeployedSpecProvider = std::function<Result<sql::PipelineSpec>(const std::string&)>;
    void setDeployedSpecProvider(DeployedSpecProvider provider) {
        m_deployedSpec = std::move(provider);
    }
    // Starts a comparison with the deployed transform (the Compare button).
    void startCompare();
    void showComparison(const TransformCompareResult& result);
    // The script path of the Transform node resolved against the working directory.
    QString resolvedScriptPath() const;

signals:
    void testFinished();

private:
    void syncFromDocument();
    void commitScript();
    void loadFromFile();
    void saveToFile();
    // Runs work on a worker thread; the function it returns runs on this panel's thread, then
    // testFinished is emitted. A newer run's token drops an older run's result.
    void launch(std::function<std::function<void()>()> work);

    PipelineDocument* m_document;
    QUndoStack* m_undoStack;
    std::function<QString()> m_workingDir;
    QPlainTextEdit* m_script = nullptr;
    QLabel* m_path = nullptr;
    QLabel* m_status = nullptr;
    QSpinBox* m_count = nullptr;
    QPushButton* m_test = nullptr;
    QPushButton* m_compareButton = nullptr;
    QPushButton* m_load = nullptr;
    QPushButton* m_save = nullptr;
    QTabWidget* m_tabs = nullptr;
    QTableWidget* m_input = nullptr;
    QPlainTextEdit* m_output = nullptr;
    QTableWidget* m_rows = nullptr;
    QTableWidget* m_errors = nullptr;
    QTableWidget* m_compare = nullptr;
    DeployedSpecProvider m_deployedSpec;
    QTimer* m_commitTimer = nullptr;
    QThread* m_thread = nullptr; // the running test, owned here
    quint64 m_token = 0;
    bool m_syncing = false;
};

} // namespace sluice::ui::designer
