#pragma once
// TransformPanel: edits the Transform node's inline script (highlighted; typing merges into one
// undo step per node) and tests the pipeline on real data: "Test" samples N messages from the
// source topic, runs the transform on them and parses the output with the Format node's CSV
// options, then shows input records, output, parsed rows and per-record errors.
//
// Threading: the test runs on a worker thread (TransformTester); its result comes back as a
// queued call on this panel, tagged with a token so an older run's result is dropped. The
// destructor waits for a running test (bounded by its timeouts).

#include "TransformTester.h"

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
    bool testRunning() const { return m_thread != nullptr; }

    // Starts a test of the current design (the Test button).
    void startTest();
    // Shows a result (the worker's, or one computed by a test).
    void showResult(const TransformTestResult& result);
    // The script path of the Transform node resolved against the working directory.
    QString resolvedScriptPath() const;

signals:
    void testFinished();

private:
    void syncFromDocument();
    void commitScript();
    void loadFromFile();
    void saveToFile();

    PipelineDocument* m_document;
    QUndoStack* m_undoStack;
    std::function<QString()> m_workingDir;
    QPlainTextEdit* m_script = nullptr;
    QLabel* m_path = nullptr;
    QLabel* m_status = nullptr;
    QSpinBox* m_count = nullptr;
    QPushButton* m_test = nullptr;
    QPushButton* m_load = nullptr;
    QPushButton* m_save = nullptr;
    QTabWidget* m_tabs = nullptr;
    QTableWidget* m_input = nullptr;
    QPlainTextEdit* m_output = nullptr;
    QTableWidget* m_rows = nullptr;
    QTableWidget* m_errors = nullptr;
    QTimer* m_commitTimer = nullptr;
    QThread* m_thread = nullptr; // the running test, owned here
    quint64 m_token = 0;
    bool m_syncing = false;
};

} // namespace sluice::ui::designer
