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
//   bench_client groupop --count N
//       times N of each of the group operations of a set job (the core's own
//       code, src/crypto/group.cpp): hashing a key to ristretto255 and
//       blinding it, and re-blinding an element (which checks it first, as a
//       set job checks what it receives); and those of intersection sums
//       (src/crypto/elgamal.cpp): sealing a value, checking and re-randomising
//       a sealed value, checking one, adding one to a sum. Prints
//       "hash_blind_us reblind_us seal_us reseal_us check_us add_us",
//       microseconds per operation on one core.
//
// jobs --proc-file FILE (warm mode) appends a line per server, "i
// sent_bytes hwm_kb": the bytes the server's session backend sent over TCP
// during the timed jobs (its partner connections, TLS included: the
// kernel's bytes_sent of each socket it holds, read with ss) and its peak
// resident memory.
//
// Any error stops the program with the server's message (exit 1).
#include <dirent.h>
#include <libpq-fe.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "crypto/elgamal.hpp"
#include "crypto/group.hpp"
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

// The session backend's pid.
std::string backend_pid(PGconn* c) {
  PGresult* r = PQexec(c, "SELECT pg_backend_pid()");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) die("pg_backend_pid failed");
  std::string pid = PQgetvalue(r, 0, 0);
  PQclear(r);
  return pid;
}

// Bytes the process has sent over the TCP sockets it holds now: the
// kernel's bytes_sent of each (ss -tinHe), for the sockets among its file
// descriptors (/proc/PID/fd). Connections kept across the jobs (a warm
// session's partner connections) give the bytes of the jobs as a difference.
long long sent_bytes(const std::string& pid) {
  std::set<std::string> inodes;
  DIR* d = opendir(("/proc/" + pid + "/fd").c_str());
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    char target[256];
    const ssize_t n = readlink(("/proc/" + pid + "/fd/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (std::strncmp(target, "socket:[", 8) == 0) inodes.insert(std::string(target + 8, std::strlen(target) - 9));
  }
  closedir(d);
  std::FILE* ss = popen("ss -tinHe 2>/dev/null", "r");
  if (ss == nullptr) return 0;
  std::string all;
  char buf[4096];
  while (std::size_t k = std::fread(buf, 1, sizeof buf, ss)) all.append(buf, k);
  pclose(ss);
  // One socket per entry: a line that starts with a state, then indented lines.
  long long total = 0;
  std::size_t at = 0;
  while (at < all.size()) {
    std::size_t end = at;
    do {
      end = all.find('\n', end);
      end = end == std::string::npos ? all.size() : end + 1;
    } while (end < all.size() && (all[end] == ' ' || all[end] == '\t'));
    const std::string entry = all.substr(at, end - at);
    at = end;
    const std::size_t ino = entry.find(" ino:");
    const std::size_t sent = entry.find("bytes_sent:");
    if (ino == std::string::npos || sent == std::string::npos) continue;
    const std::string id = entry.substr(ino + 5, entry.find_first_not_of("0123456789", ino + 5) - ino - 5);
    if (inodes.count(id) != 0) total += std::strtoll(entry.c_str() + sent + 11, nullptr, 10);
  }
  return total;
}

// Microseconds per operation of hash-and-blind and of check-and-re-blind,
// and of sealing, checking-and-re-randomising, checking and adding a sealed
// value.
void time_group_ops(int count) {
  using namespace smpc::crypto::group;
  const Scalar s = Scalar::random();
  std::vector<Element> blinded;
  blinded.reserve(static_cast<std::size_t>(count));
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < count; ++i) {
    blinded.push_back(blind(hash_to_group("cust-" + std::to_string(i), "smpc-bench"), s));
  }
  const Clock::time_point t1 = Clock::now();
  for (Element& e : blinded) e = blind(e, s);  // (blind() checks the element first)
  const Clock::time_point t2 = Clock::now();
  namespace eg = smpc::crypto::elgamal;
  const eg::SecretKey key = eg::SecretKey::random();
  std::vector<eg::Ciphertext> sealed;
  sealed.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) sealed.push_back(eg::encrypt(key.public_key(), 1000 + i));
  const Clock::time_point t3 = Clock::now();
  int bad = 0;
  for (eg::Ciphertext& c : sealed) {
    bad += eg::is_valid(c) ? 0 : 1;
    c = eg::rerandomize(key.public_key(), c);
  }
  const Clock::time_point t4 = Clock::now();
  for (const eg::Ciphertext& c : sealed) bad += eg::is_valid(c) ? 0 : 1;
  const Clock::time_point t5 = Clock::now();
  eg::Ciphertext sum = eg::zero();
  for (const eg::Ciphertext& c : sealed) eg::add_into(sum, c);
  const Clock::time_point t6 = Clock::now();
  if (bad != 0) die("a sealed value did not check");
  auto per = [count](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::micro>(b - a).count() / count;
  };
  std::printf("%.3f %.3f %.3f %.3f %.3f %.3f\n", per(t0, t1), per(t1, t2), per(t2, t3),
              per(t3, t4), per(t4, t5), per(t5, t6));
}

struct Options {
  std::string command;
  std::string mode = "warm";
  std::string sql;
  std::string setup;
  std::string prefix = "job";
  std::vector<std::string> conns;
  std::string times;
  std::string proc_file;
  int count = 1000;
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
    else if (a == "--proc-file") o.proc_file = v;
    else if (a == "--count") o.count = std::atoi(v.c_str());
    else die("unknown option " + a);
  }
  if (o.command == "groupop") {
    if (o.count < 1) die("--count must be positive");
    return o;
  }
  if (o.conns.empty() || o.sql.empty()) die("--conn and --sql are required");
  if (o.jobs < 1 || o.repeat < 1 || o.warmup < 0) die("--jobs and --repeat must be positive");
  if (o.mode != "warm" && o.mode != "cold") die("--mode is warm or cold");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.command == "groupop") {
    time_group_ops(o.count);
    return 0;
  }
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
    std::vector<std::string> pids;
    std::vector<long long> written;
    for (int i = 0; i < o.warmup + o.jobs; ++i) {
      if (i == o.warmup && o.mode == "warm" && !o.proc_file.empty()) {
        for (PGconn* c : conns) {
          pids.push_back(backend_pid(c));
          written.push_back(sent_bytes(pids.back()));
        }
      }
      if (o.mode == "cold") open_all();
      const double t = run_everywhere(conns, with_job(o.sql, o.prefix + "-" + std::to_string(i)));
      if (i >= o.warmup) ms.push_back(t);
      if (o.mode == "cold") close_all();
    }
    if (!pids.empty()) {
      std::FILE* f = std::fopen(o.proc_file.c_str(), "a");
      if (f == nullptr) die("cannot append to " + o.proc_file);
      for (std::size_t k = 0; k < pids.size(); ++k) {
        std::fprintf(f, "%zu %lld %ld\n", k + 1, sent_bytes(pids[k]) - written[k],
                     status_kb(conns[k], "VmHWM"));
      }
      std::fclose(f);
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
