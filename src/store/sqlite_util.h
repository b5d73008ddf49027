// Small RAII helpers over the SQLite C API, private to the store and report.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

namespace powertrain::sql {

// A prepared statement; bind() is 1-based like SQLite, NULL for empty optionals.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Steps once; true while a row is available.
  bool step();
  // Runs to completion (for statements without rows) and resets for reuse.
  void run();
  void reset();

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::optional<int64_t> opt_int64(int column) const;
  std::optional<double> opt_real(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// Throws std::runtime_error with SQLite's message when rc is an error.
void check(sqlite3* db, int rc, const std::string& what);

}  // namespace powertrain::sql
