#include "server/cli/junit_xml.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <unistd.h>

namespace fastest::cli {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 forbids most control characters; pytest replaces them too.
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "#x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::vector<std::string> split_id(const std::string& id) {
  std::vector<std::string> parts;
  size_t start = 0, pos;
  // "::" inside a parameter id must not split.
  size_t bracket = id.find('[');
  while ((pos = id.find("::", start)) != std::string::npos && (bracket == std::string::npos || pos < bracket)) {
    parts.push_back(id.substr(start, pos - start));
    start = pos + 2;
  }
  parts.push_back(id.substr(start));
  return parts;
}

}  // namespace

std::string junit_classname(const std::string& id) {
  auto parts = split_id(id);
  std::string module = parts.front();
  if (module.size() > 3 && module.compare(module.size() - 3, 3, ".py") == 0) module.resize(module.size() - 3);
  for (char& c : module) if (c == '/') c = '.';
  std::string out = module;
  for (size_t i = 1; i + 1 < parts.size(); ++i) out += "." + parts[i];
  return out;
}

std::string junit_name(const std::string& id) { return split_id(id).back(); }

std::string junit_xml(const std::vector<TestResult>& results, double duration_s) {
  size_t failures = 0, errors = 0, skipped = 0;
  for (const TestResult& r : results) {
    switch (r.outcome) {
      case Outcome::Failed: case Outcome::Crashed: case Outcome::Timeout: ++failures; break;
      case Outcome::Errored: ++errors; break;
      case Outcome::Skipped: case Outcome::XFailed: ++skipped; break;
      default: break;
    }
  }
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  std::time_t now = std::time(nullptr);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", std::localtime(&now));
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<testsuites name=\"pytest tests\"><testsuite name=\"pytest\" errors=\"%zu\" failures=\"%zu\" "
                "skipped=\"%zu\" tests=\"%zu\" time=\"%.3f\" timestamp=\"%s\" hostname=\"%s\">",
                errors, failures, skipped, results.size(), duration_s, stamp, escape(host).c_str());
  xml += buf;
  for (const TestResult& r : results) {
    std::snprintf(buf, sizeof buf, "%.3f", r.duration_s);
    xml += "<testcase classname=\"" + escape(junit_classname(r.id)) + "\" name=\"" + escape(junit_name(r.id)) +
           "\" time=\"" + buf + "\"";
    // pytest writes an element per failed or skipped subtest, then one for the test's own report.
    std::string body;
    for (const SubtestReport& sub : r.subtests) {
      if (sub.outcome == Outcome::Failed)
        body += "<failure message=\"" + escape(sub.message) + "\">" + escape(sub.longrepr) + "</failure>";
      else
        body += "<skipped type=\"pytest.skip\" message=\"" + escape(sub.message) + "\">" + escape(sub.longrepr) +
                "</skipped>";
    }
    switch (r.counted_as.value_or(r.outcome)) {
      case Outcome::Failed:
        body += "<failure message=\"" + escape(r.message) + "\">" + escape(r.longrepr) + "</failure>";
        break;
      case Outcome::Crashed: case Outcome::Timeout:
        body += "<failure message=\"" + escape(std::string(to_string(r.outcome)) + ": " + r.message) + "\">" +
               escape(r.message) + "</failure>";
        break;
      case Outcome::Errored:
        body += "<error message=\"" + escape(r.message) + "\">" + escape(r.longrepr) + "</error>";
        break;
      case Outcome::Skipped:
        body += "<skipped type=\"pytest.skip\" message=\"" + escape(r.message) + "\">" + escape(r.message) + "</skipped>";
        break;
      case Outcome::XFailed:
        body += "<skipped type=\"pytest.xfail\" message=\"" + escape(r.message) + "\" />";
        break;
      default: break;
    }
    if (!r.stdout_text.empty()) body += "<system-out>" + escape(r.stdout_text) + "</system-out>";
    if (!r.stderr_text.empty()) body += "<system-err>" + escape(r.stderr_text) + "</system-err>";
    xml += body.empty() ? " />" : ">" + body + "</testcase>";
  }
  xml += "</testsuite></testsuites>";
  return xml;
}

bool write_junit_xml(const std::string& path, const std::vector<TestResult>& results, double duration_s) {
  std::ofstream out(path);
  if (!out) return false;
  out << junit_xml(results, duration_s);
  return static_cast<bool>(out);
}

}  // namespace fastest::cli
