// The engine never includes a Qt header (design: dependencies point one way).
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QTest>

class LayeringTest : public QObject {
    Q_OBJECT
private slots:
    void engineHasNoQtIncludes() {
        const QString root = QStringLiteral(SLUICE_SOURCE_DIR) + "/engine";
        // Built from parts so that moc's preprocessor does not read it as a directive.
        const QString directive = QStringLiteral("^\\s*") + QChar('#') + QStringLiteral("\\s*include");
        QRegularExpression qtInclude(directive + QStringLiteral("\\s*[<\"](Q[A-Za-z]|qcustomplot|qt)"),
                                     QRegularExpression::MultilineOption);
        QDirIterator it(root, {"*.h", "*.hpp", "*.cpp", "*.cc"}, QDir::Files,
                        QDirIterator::Subdirectories);
        int files = 0;
        QStringList offenders;
        while (it.hasNext()) {
            QFile f(it.next());
            QVERIFY(f.open(QIODevice::ReadOnly));
            ++files;
            if (qtInclude.match(QString::fromUtf8(f.readAll())).hasMatch())
                offenders << f.fileName();
        }
        QVERIFY2(files > 5, "engine sources not found");
        QVERIFY2(offenders.isEmpty(), qPrintable("Qt included by: " + offenders.join(", ")));
    }

    void engineCMakeDoesNotLinkQt() {
        QFile f(QStringLiteral(SLUICE_SOURCE_DIR) + "/engine/CMakeLists.txt");
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(!f.readAll().contains("Qt6::"));
    }
};

QTEST_APPLESS_MAIN(LayeringTest)
#include "tst_Layering.moc"
