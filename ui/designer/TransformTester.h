#pragma once
// The transform editor's "Test": sample N messages from the pipeline's Kafka topic (assigned at
// the low watermarks, so nothing is consumed for real and no group commits), run the transform on
// them with SingleStore's framing, and parse its output with the pipeline's CSV options. Nothing
// is written anywhere.
//
// Threading: plain functions with no shared state; the designer runs them on a worker thread
// and hands the result value back to the GUI thread.

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::ui::designer {

struct TransformTestRequest {
    sql::PipelineSpec spec;   // source, transform (optional), format, column list
    std::string inlineScript; // when not empty: run this text (with its #! line) instead of uri
    std::string workingDir;   // where a relative transform path is resolved
    int messages = 10;
    int timeoutMs = 10000; // bound for sampling, and separately for the transform
};

struct SampledRecord {
    int32_t partition = 0;
    int64_t offset = 0;
    std::string value;
};

struct RecordError {
    int64_t record = 0; // input message (no transform) or output record (transform) index
    std::string message;
};

struct TransformTestResult {
    Status status; // failure of the whole test (sampling, starting the transform, timeout)
    std::vector<SampledRecord> input;
    bool transformed = false;
    std::string output; // the transform's stdout, or the messages joined when no transform
    std::string stderrText;
    int exitCode = 0;
    std::vector<std::string> columns;           // the pipeline's column list, for headers
    std::vector<std::vector<std::string>> rows; // parsed fields; NULL as \N
    std::vector<RecordError> errors;
};

// Reads up to request.messages messages from the low watermarks of every partition.
Result<std::vector<SampledRecord>> sampleMessages(const TransformTestRequest& request);

// Transforms (when the spec has a transform or an inline script is given) and parses input.
TransformTestResult transformAndParse(const TransformTestRequest& request,
                                      std::vector<SampledRecord> input);

// Both, as the Test button runs them.
TransformTestResult runTransformTest(const TransformTestRequest& request);

// "Compare": the deployed pipeline's transform and the edited one on the same input.
struct TransformCompareResult {
    Status status; // sampling failed, or either side failed as a whole (message names the side)
    std::vector<SampledRecord> input;
    TransformTestResult deployed;
    TransformTestResult edited;
    // Parsed rows as multisets: a row appearing k times on one side and j < k times on the
    // other is listed k - j times, in the order of its side.
    std::vector<std::vector<std::string>> onlyDeployed;
    std::vector<std::vector<std::string>> onlyEdited;
};

// Transforms and parses input with both requests and diffs the parsed rows.
TransformCompareResult compareTransforms(const TransformTestRequest& deployed,
                                         const TransformTestRequest& edited,
                                         std::vector<SampledRecord> input);

// Samples with the edited request's source, then compares.
TransformCompareResult runTransformCompare(const TransformTestRequest& deployed,
                                           const TransformTestRequest& edited);

} // namespace sluice::ui::designer
