#include "server/cli/junit_merge.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

namespace fastest::cli {
namespace {

using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

const xmlChar* x(const char* text) { return reinterpret_cast<const xmlChar*>(text); }

bool named(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, x(name)) == 0;
}

std::string attribute(xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, x(name));
  if (!value) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

double number(xmlNode* node, const char* name) {
  std::string text = attribute(node, name);
  return text.empty() ? 0 : std::strtod(text.c_str(), nullptr);
}

// The <testsuite> elements of a report: its root, or the root <testsuites>' children.
std::vector<xmlNode*> suites_of(xmlDoc* doc) {
  std::vector<xmlNode*> suites;
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!root) return suites;
  if (named(root, "testsuite")) return {root};
  if (!named(root, "testsuites")) return suites;
  for (xmlNode* child = root->children; child; child = child->next)
    if (named(child, "testsuite")) suites.push_back(child);
  return suites;
}

struct Totals {
  long long tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
  std::string name, timestamp, hostname;

  void add(xmlNode* suite) {
    tests += static_cast<long long>(number(suite, "tests"));
    failures += static_cast<long long>(number(suite, "failures"));
    errors += static_cast<long long>(number(suite, "errors"));
    skipped += static_cast<long long>(number(suite, "skipped"));
    time += number(suite, "time");
    if (name.empty()) name = attribute(suite, "name");
    if (hostname.empty()) hostname = attribute(suite, "hostname");
    std::string stamp = attribute(suite, "timestamp");  // ISO 8601: text order is time order
    if (!stamp.empty() && (timestamp.empty() || stamp < timestamp)) timestamp = stamp;
  }

  // pytest's attribute order: name, errors, failures, skipped, tests, time, timestamp, hostname.
  void write(xmlNode* node, bool whole) const {
    auto set = [&](const char* key, const std::string& value) { xmlNewProp(node, x(key), x(value.c_str())); };
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", time);
    set("name", whole ? "pytest tests" : (name.empty() ? "pytest" : name));
    set("errors", std::to_string(errors));
    set("failures", std::to_string(failures));
    set("skipped", std::to_string(skipped));
    set("tests", std::to_string(tests));
    set("time", seconds);
    if (whole) return;
    if (!timestamp.empty()) set("timestamp", timestamp);
    if (!hostname.empty()) set("hostname", hostname);
  }
};

}  // namespace

std::optional<std::string> merge_junit_xml(const std::vector<JunitInput>& inputs, std::string* error) {
  std::vector<Doc> docs;
  Totals totals;
  for (const JunitInput& input : inputs) {
    Doc doc(xmlReadMemory(input.text.data(), static_cast<int>(input.text.size()), input.name.c_str(), nullptr,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE),
            &xmlFreeDoc);
    if (!doc) {
      const xmlError* e = xmlGetLastError();
      std::string why = e && e->message ? e->message : "not XML";
      while (!why.empty() && why.back() == '\n') why.pop_back();
      if (error) *error = input.name + " is not XML: " + why;
      return std::nullopt;
    }
    std::vector<xmlNode*> suites = suites_of(doc.get());
    xmlNode* root = xmlDocGetRootElement(doc.get());
    if (suites.empty() && !(root && named(root, "testsuites"))) {
      if (error) *error = input.name + " is not a JUnit XML report (no <testsuites> or <testsuite>)";
      return std::nullopt;
    }
    for (xmlNode* suite : suites) totals.add(suite);
    docs.push_back(std::move(doc));
  }

  Doc out(xmlNewDoc(x("1.0")), &xmlFreeDoc);
  xmlNode* root = xmlNewNode(nullptr, x("testsuites"));
  xmlDocSetRootElement(out.get(), root);
  totals.write(root, true);
  xmlNode* merged = xmlNewChild(root, nullptr, x("testsuite"), nullptr);
  totals.write(merged, false);
  // pytest writes <properties> first in its suite: the inputs' joined, then everything else.
  xmlNode* properties = nullptr;
  std::set<std::pair<std::string, std::string>> seen_properties;
  for (const Doc& doc : docs)
    for (xmlNode* suite : suites_of(doc.get()))
      for (xmlNode* child = suite->children; child; child = child->next) {
        if (!named(child, "properties")) continue;
        for (xmlNode* p = child->children; p; p = p->next) {
          if (!named(p, "property") || !seen_properties.emplace(attribute(p, "name"), attribute(p, "value")).second)
            continue;
          if (!properties) properties = xmlNewChild(merged, nullptr, x("properties"), nullptr);
          xmlAddChild(properties, xmlDocCopyNode(p, out.get(), 1));
        }
      }
  for (const Doc& doc : docs)
    for (xmlNode* suite : suites_of(doc.get()))
      for (xmlNode* child = suite->children; child; child = child->next)
        if (child->type == XML_ELEMENT_NODE && !named(child, "properties"))
          xmlAddChild(merged, xmlDocCopyNode(child, out.get(), 1));
  xmlChar* text = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(out.get(), &text, &size, "utf-8");
  if (!text) {
    if (error) *error = "cannot write the merged report";
    return std::nullopt;
  }
  std::string result(reinterpret_cast<const char*>(text), size);
  xmlFree(text);
  return result;
}

}  // namespace fastest::cli
