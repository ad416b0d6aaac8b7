// The benchmark clients' SQL templates (bench_client.cpp, soak_client.cpp):
// every %s in the SQL stands for the job id.
#ifndef SMPC_BENCH_WITH_JOB_HPP
#define SMPC_BENCH_WITH_JOB_HPP

#include <string>

inline std::string with_job(const std::string& sql, const std::string& job) {
  std::string out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '%' && i + 1 < sql.size() && sql[i + 1] == 's') {
      out += job;
      ++i;
    } else {
      out += sql[i];
    }
  }
  return out;
}

#endif  // SMPC_BENCH_WITH_JOB_HPP
