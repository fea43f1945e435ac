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

// ElementTree writes these as character references in attributes, so readers keep them.
std::string escape_attribute(const std::string& text) {
  std::string out;
  for (char c : escape(text)) {
    if (c == '\n') out += "&#10;";
    else if (c == '\r') out += "&#13;";
    else if (c == '\t') out += "&#09;";
    else out += c;
  }
  return out;
}

std::string without_prefix(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
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

// pytest's mangle_test_address: the id's parts with the path made a dotted module name.
std::vector<std::string> mangled(const std::string& id) {
  auto parts = split_id(id);
  std::string& module = parts.front();
  if (module.size() > 3 && module.compare(module.size() - 3, 3, ".py") == 0) module.resize(module.size() - 3);
  for (char& c : module) if (c == '/') c = '.';
  return parts;
}

}  // namespace

std::string junit_classname(const std::string& id) {
  auto parts = mangled(id);
  std::string out;
  for (size_t i = 0; i + 1 < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

// A collector's id (a module) is all path: its name is the dotted module, its classname empty.
std::string junit_name(const std::string& id) { return mangled(id).back(); }

std::string junit_xml(const std::vector<CollectionReport>& collection, const std::vector<TestResult>& results,
                      double duration_s) {
  size_t failures = 0, errors = 0, skipped = 0;
  for (const CollectionReport& c : collection) ++(c.skipped ? skipped : errors);
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
                errors, failures, skipped, collection.size() + results.size(), duration_s, stamp, escape(host).c_str());
  xml += buf;
  for (const CollectionReport& c : collection) {
    xml += "<testcase classname=\"" + escape_attribute(junit_classname(c.id)) + "\" name=\"" +
           escape_attribute(junit_name(c.id)) + "\" time=\"0.000\">";
    xml += c.skipped ? "<skipped message=\"collection skipped\">" + escape(c.text) + "</skipped>"
                     : "<error message=\"collection failure\">" + escape(c.text) + "</error>";
    xml += "</testcase>";
  }
  for (const TestResult& r : results) {
    std::snprintf(buf, sizeof buf, "%.3f", r.duration_s);
    xml += "<testcase classname=\"" + escape_attribute(junit_classname(r.id)) + "\" name=\"" + escape_attribute(junit_name(r.id)) +
           "\" time=\"" + buf + "\"";
    // pytest writes an element per failed or skipped subtest, then one for the test's own report.
    std::string body;
    for (const SubtestReport& sub : r.subtests) {
      if (sub.outcome == Outcome::Failed)
        body += "<failure message=\"" + escape_attribute(sub.message) + "\">" + escape(sub.longrepr) + "</failure>";
      else
        body += "<skipped type=\"pytest.skip\" message=\"" + escape_attribute(sub.message) + "\">" + escape(sub.longrepr) +
                "</skipped>";
    }
    switch (r.counted_as.value_or(r.outcome)) {
      case Outcome::Failed:
        body += "<failure message=\"" + escape_attribute(r.message) + "\">" + escape(r.longrepr) + "</failure>";
        break;
      case Outcome::Crashed: case Outcome::Timeout:
        body += "<failure message=\"" + escape_attribute(std::string(to_string(r.outcome)) + ": " + r.message) + "\">" +
               escape(r.message) + "</failure>";
        break;
      case Outcome::Errored: {
        // pytest names the phase: `failed on setup with "RuntimeError: ..."`.
        std::string message = r.error_when.empty() ? r.message
                              : "failed on " + std::string(r.error_when == "teardown" ? "teardown" : "setup") +
                                    " with \"" + r.message + "\"";
        body += "<error message=\"" + escape_attribute(message) + "\">" + escape(r.longrepr) + "</error>";
        break;
      }
      case Outcome::Skipped: {
        std::string reason = without_prefix(r.message, "Skipped: ");
        std::string details = r.skipped_at && r.skipped_at->line
                                  ? r.skipped_at->path + ":" + std::to_string(*r.skipped_at->line) + ": " + reason
                                  : reason;
        body += "<skipped type=\"pytest.skip\" message=\"" + escape_attribute(reason) + "\">" + escape(details) + "</skipped>";
        break;
      }
      case Outcome::XFailed:
        body += "<skipped type=\"pytest.xfail\" message=\"" + escape_attribute(without_prefix(r.xfail_reason, "reason: ")) + "\" />";
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

bool write_junit_xml(const std::string& path, const std::vector<CollectionReport>& collection,
                     const std::vector<TestResult>& results, double duration_s) {
  std::ofstream out(path);
  if (!out) return false;
  out << junit_xml(collection, results, duration_s);
  return static_cast<bool>(out);
}

}  // namespace fastest::cli
