// CollectionGate: what pytest prints only after a successful collection waits for every module.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "server/cli/collection_gate.h"

using fastest::cli::CollectionGate;
using fastest::cli::OnCollectionError;
using fastest::cli::on_collection_error;

TEST_CASE("pytest stops at collection errors unless told to continue, to fastest or among pytest's options") {
  CHECK(on_collection_error(false, false) == OnCollectionError::StopSession);
  CHECK(on_collection_error(true, false) == OnCollectionError::ContinueSession);
  CHECK(on_collection_error(false, true) == OnCollectionError::ContinueSession);
}

TEST_CASE("output is held until every module was collected, then written in order") {
  CollectionGate gate(OnCollectionError::StopSession, {"test_a.py::test_1", "test_a.py::test_2", "test_b.py", "pkg"});
  std::vector<std::string> written;
  gate.show([&] { written.push_back("header"); });
  gate.show([&] { written.push_back("test_a.py ."); });
  gate.batch_collected({"test_a.py::test_1", "test_a.py::test_2"});
  gate.batch_collected({"test_b.py"});
  CHECK(written.empty());
  CHECK(gate.pending_modules() == 1);
  gate.batch_collected({"pkg"});  // a folder pytest collected whole
  CHECK(gate.state() == CollectionGate::State::Open);
  CHECK(written == std::vector<std::string>{"header", "test_a.py ."});
  gate.show([&] { written.push_back("test_b.py ."); });
  CHECK(written.back() == "test_b.py .");
}

TEST_CASE("a collection error drops what was held and everything after") {
  CollectionGate gate(OnCollectionError::StopSession, {"test_a.py::test_1", "test_c.py::test_1"});
  std::vector<std::string> written;
  gate.show([&] { written.push_back("test_a.py ."); });
  gate.batch_collected({"test_a.py::test_1"});
  gate.collection_failed();
  gate.batch_collected({"test_c.py::test_1"});
  gate.show([&] { written.push_back("late"); });
  gate.release();
  CHECK(gate.failed());
  CHECK(written.empty());
}

TEST_CASE("a session that continues past collection errors holds until its collection ended, then writes all") {
  // pytest's header counts what the whole collection found (`collected 5 items / 1 error`).
  CollectionGate gate(OnCollectionError::ContinueSession, {"test_a.py::test_1", "test_c.py::test_1"});
  std::vector<std::string> written;
  gate.show([&] { written.push_back("test_a.py ."); });
  gate.collection_failed();  // test_c.py's import failed
  gate.show([&] { written.push_back("test_a.py F"); });
  CHECK_FALSE(gate.failed());
  CHECK(written.empty());
  gate.batch_collected({"test_c.py::test_1"});
  gate.batch_collected({"test_a.py::test_1"});
  CHECK(written == std::vector<std::string>{"test_a.py .", "test_a.py F"});
  gate.show([&] { written.push_back("test_a.py s"); });
  CHECK(written.size() == 3);
}

TEST_CASE("a run that stops before every module was collected writes what it held") {
  CollectionGate gate(OnCollectionError::StopSession, {"test_a.py::test_1", "test_c.py::test_1"});
  std::vector<std::string> written;
  gate.show([&] { written.push_back("test_a.py F"); });
  gate.batch_collected({"test_a.py::test_1"});
  gate.release();  // -x stopped the run: test_c.py was never collected
  CHECK(written == std::vector<std::string>{"test_a.py F"});
}
