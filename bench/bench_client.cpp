// The benchmark client of `make bench` (bench/bench.sh): runs SQL at one or
// several PostgreSQL servers at once over libpq and prints timings.
//
//   bench_client jobs  --mode warm|cold --jobs N --sql SQL --conn C1 [--conn C2 ...]
//       runs N jobs; in each, the same SQL (every %s replaced by the job id
//       "<prefix>-<i>") goes to every server, sent to all before any result
//       is read. The time is taken from the moment the last server was sent
//       the job until every server has answered. warm: one session per
//       server for all jobs; cold: new sessions for every job (connecting is
//       not timed, but whatever the servers connect to during the job is).
//       Prints "median_ms p95_ms min_ms max_ms". --warmup N runs N untimed
//       jobs first (warm mode: the sessions' partner connections are then
//       open); --times FILE appends each timed job's ms to FILE, one a line,
//       so that batches interleaved with other measurements can be pooled.
//   bench_client once  --sql SQL --conn C [--repeat N] [--setup SQL]
//       runs SQL N times in one session (after the setup SQL) and prints the
//       median wall time in ms, then the session backend's peak resident
//       memory (VmHWM) and private memory (RssAnon), kB, from /proc (0 when
//       they cannot be read).
//
// Any error stops the program with the server's message (exit 1).
#include <libpq-fe.h>
#include <sys/select.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "with_job.hpp"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_client: %s\n", what.c_str());
  std::exit(1);
}

PGconn* connect(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) die(std::string("connect: ") + PQerrorMessage(c));
  return c;
}

void exec_ok(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    die("query failed: " + std::string(PQresultErrorMessage(r)) + " [" + sql + "]");
  }
  PQclear(r);
}

// Sends sql to every connection, then reads every result; returns the
// milliseconds from the last send to the last result.
double run_everywhere(std::vector<PGconn*>& conns, const std::string& sql) {
  for (PGconn* c : conns) {
    if (!PQsendQuery(c, sql.c_str())) die(std::string("send: ") + PQerrorMessage(c));
  }
  const Clock::time_point start = Clock::now();
  std::vector<bool> done(conns.size(), false);
  std::size_t left = conns.size();
  while (left > 0) {
    fd_set fds;
    FD_ZERO(&fds);
    int maxfd = -1;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (done[i]) continue;
      const int fd = PQsocket(conns[i]);
      FD_SET(fd, &fds);
      maxfd = std::max(maxfd, fd);
    }
    if (select(maxfd + 1, &fds, nullptr, nullptr, nullptr) < 0) die("select failed");
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (done[i] || !FD_ISSET(PQsocket(conns[i]), &fds)) continue;
      if (!PQconsumeInput(conns[i])) die(std::string("read: ") + PQerrorMessage(conns[i]));
      while (!PQisBusy(conns[i])) {
        PGresult* r = PQgetResult(conns[i]);
        if (r == nullptr) {
          done[i] = true;
          --left;
          break;
        }
        const ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
          die("server " + std::to_string(i + 1) + ": " + PQresultErrorMessage(r));
        }
        PQclear(r);
      }
    }
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const std::size_t k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

// A field of the session backend's /proc status in kB (0 if unreadable):
// VmHWM (peak resident, shared buffers it touched included) or RssAnon
// (private memory now; glibc keeps what the query's memory contexts took).
long status_kb(PGconn* c, const char* field) {
  PGresult* r = PQexec(c, "SELECT pg_backend_pid()");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) die("pg_backend_pid failed");
  const std::string pid = PQgetvalue(r, 0, 0);
  PQclear(r);
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(status, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::strtol(line.c_str() + n + 1, nullptr, 10);
    }
  }
  return 0;
}

struct Options {
  std::string command;
  std::string mode = "warm";
  std::string sql;
  std::string setup;
  std::string prefix = "job";
  std::vector<std::string> conns;
  std::string times;
  int jobs = 50;
  int repeat = 1;
  int warmup = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) die("usage: bench_client jobs|once [options] (see bench/bench_client.cpp)");
  o.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) die("option " + a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--mode") o.mode = v;
    else if (a == "--sql") o.sql = v;
    else if (a == "--setup") o.setup = v;
    else if (a == "--prefix") o.prefix = v;
    else if (a == "--conn") o.conns.push_back(v);
    else if (a == "--jobs") o.jobs = std::atoi(v.c_str());
    else if (a == "--repeat") o.repeat = std::atoi(v.c_str());
    else if (a == "--warmup") o.warmup = std::atoi(v.c_str());
    else if (a == "--times") o.times = v;
    else die("unknown option " + a);
  }
  if (o.conns.empty() || o.sql.empty()) die("--conn and --sql are required");
  if (o.jobs < 1 || o.repeat < 1 || o.warmup < 0) die("--jobs and --repeat must be positive");
  if (o.mode != "warm" && o.mode != "cold") die("--mode is warm or cold");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.command == "jobs") {
    std::vector<PGconn*> conns;
    std::vector<double> ms;
    auto open_all = [&] {
      for (const std::string& c : o.conns) conns.push_back(connect(c));
      if (!o.setup.empty()) {
        for (PGconn* c : conns) exec_ok(c, o.setup);
      }
    };
    auto close_all = [&] {
      for (PGconn* c : conns) PQfinish(c);
      conns.clear();
    };
    if (o.mode == "warm") open_all();
    for (int i = 0; i < o.warmup + o.jobs; ++i) {
      if (o.mode == "cold") open_all();
      const double t = run_everywhere(conns, with_job(o.sql, o.prefix + "-" + std::to_string(i)));
      if (i >= o.warmup) ms.push_back(t);
      if (o.mode == "cold") close_all();
    }
    close_all();
    if (!o.times.empty()) {
      std::FILE* f = std::fopen(o.times.c_str(), "a");
      if (f == nullptr) die("cannot append to " + o.times);
      for (double t : ms) std::fprintf(f, "%.3f\n", t);
      std::fclose(f);
    }
    std::printf("%.3f %.3f %.3f %.3f\n", percentile(ms, 0.5), percentile(ms, 0.95),
                percentile(ms, 0.0), percentile(ms, 1.0));
    return 0;
  }
  if (o.command == "once") {
    PGconn* c = connect(o.conns[0]);
    if (!o.setup.empty()) exec_ok(c, o.setup);
    std::vector<double> ms;
    for (int i = 0; i < o.repeat; ++i) {
      const Clock::time_point start = Clock::now();
      exec_ok(c, with_job(o.sql, o.prefix + "-" + std::to_string(i)));
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::printf("%.3f %ld %ld\n", percentile(ms, 0.5), status_kb(c, "VmHWM"),
                status_kb(c, "RssAnon"));
    PQfinish(c);
    return 0;
  }
  die("unknown command " + o.command);
}
