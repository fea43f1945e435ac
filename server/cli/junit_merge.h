// `fastest merge-junit OUT IN...`: the JUnit XML reports of several shards (fastest's or
// pytest's) joined into one, as one unsharded run would have written it: a <testsuites> holding
// one <testsuite> with every input's testcases in the order given, its counts (tests, failures,
// errors, skipped) and time the sums of the inputs' suites, its timestamp the earliest, its
// name and hostname the first's. <properties> are joined (duplicates once).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fastest::cli {

struct JunitInput {
  std::string name;  // for messages (the file's path)
  std::string text;
};

// The merged document, or nullopt with `error` naming the input that is not JUnit XML.
std::optional<std::string> merge_junit_xml(const std::vector<JunitInput>& inputs, std::string* error);

}  // namespace fastest::cli
