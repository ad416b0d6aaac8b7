// The load of the soak test (test/t/034_soak_short.pl, `make soak`): many
// analyst sessions starting jobs at once for a given time, over libpq, and
// one partner flooding deliveries. It only drives and records; the test
// checks what it wrote against the servers' audit trails and shared memory.
//
//   soak_client --seconds N --sessions S --out FILE --prefix P
//               --party NAME=CONNSTR (one per party, in order)
//               --job KIND=SQL (sum, grouped: run at every party; run: at
//                               one party, a partner-started job; every %s
//                               is replaced by the job id)
//               [--flood CONNSTR --flood-file FILE --flood-rate PER_S]
//               [--deadline SECONDS]
//
// Session i's k-th job is of kind (i + k) mod the number of kinds, with job
// id "P-i-k"; a "run" job goes to party (i + k / kinds) mod parties. A
// session holds one connection per party for the whole run and opens a new
// one only when the old one broke (a party was killed): its backends are
// the long-lived ones whose memory the test compares. At a quarter of the
// run ("warm") and at its end each session records, per connection, its
// backend's pid, the bytes of its memory contexts and its RssAnon (kB).
//
// Output, one line per record, tab-separated:
//   attempt  JOB  KIND  PARTY  OUTCOME  SQLSTATE  VALUE-OR-MESSAGE  START_S  END_S
//     OUTCOME: ok, error (the server's error), lost (the connection broke),
//     hung (no answer within --deadline), nostart (no connection)
//   mem      SESSION  PARTY  PHASE  PID  CONTEXT_BYTES  RSS_ANON_KB
//   flood    OUTCOME  SQLSTATE  COUNT
//   summary  SECONDS  JOBS
// The flooder sends the statements of --flood-file (one a line) in turn,
// at most --flood-rate a second, as long as the sessions run.
#include <libpq-fe.h>
#include <sys/select.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "with_job.hpp"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "soak_client: %s\n", what.c_str());
  std::exit(2);
}

// Tabs and newlines would break the output's lines.
std::string one_line(const char* s) {
  std::string out = s ? s : "";
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

long rss_anon_kb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10);
  }
  return -1;
}

struct Party {
  std::string name;
  std::string conninfo;
};

struct Kind {
  std::string name;
  std::string sql;
};

// One party's part of a session's current job.
struct Part {
  bool pending = false;
  std::string outcome, sqlstate, value;
  double end_s = 0;
};

struct Session {
  int index = 0;
  int k = 0;  // jobs started
  std::vector<PGconn*> conns;
  bool busy = false;
  std::string job, kind;
  std::vector<Part> parts;
  double start_s = 0;
  bool warm_recorded = false;
};

struct Options {
  int seconds = 30, sessions = 4, flood_rate = 100;
  double deadline = 120;
  std::string out, prefix = "soak", flood_conn, flood_file;
  std::vector<Party> parties;
  std::vector<Kind> kinds;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) die("option " + a + " needs a value");
    const std::string v = argv[++i];
    const std::size_t eq = v.find('=');
    if (a == "--seconds") o.seconds = std::atoi(v.c_str());
    else if (a == "--sessions") o.sessions = std::atoi(v.c_str());
    else if (a == "--out") o.out = v;
    else if (a == "--prefix") o.prefix = v;
    else if (a == "--deadline") o.deadline = std::atof(v.c_str());
    else if (a == "--flood") o.flood_conn = v;
    else if (a == "--flood-file") o.flood_file = v;
    else if (a == "--flood-rate") o.flood_rate = std::atoi(v.c_str());
    else if (a == "--party" && eq != std::string::npos)
      o.parties.push_back({v.substr(0, eq), v.substr(eq + 1)});
    else if (a == "--job" && eq != std::string::npos)
      o.kinds.push_back({v.substr(0, eq), v.substr(eq + 1)});
    else die("unknown option " + a);
  }
  if (o.parties.empty() || o.kinds.empty() || o.out.empty())
    die("--party, --job and --out are required");
  if (o.seconds < 1 || o.sessions < 1 || o.flood_rate < 1) die("bad numbers");
  return o;
}

class Soak {
 public:
  explicit Soak(Options o) : o_(std::move(o)), out_(std::fopen(o_.out.c_str(), "w")) {
    if (!out_) die("cannot write " + o_.out);
    t0_ = Clock::now();
    // The times below count from t0_; this line puts t0_ on the wall clock
    // so that a caller can place its own events (a party killed) on the
    // same scale.
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    std::fprintf(out_, "clock\t%.6f\n", std::chrono::duration<double>(wall).count());
  }

  void run() {
    sessions_.resize(o_.sessions);
    for (int i = 0; i < o_.sessions; ++i) {
      sessions_[i].index = i;
      sessions_[i].conns.assign(o_.parties.size(), nullptr);
      sessions_[i].parts.resize(o_.parties.size());
    }
    load_flood();
    for (;;) {
      const double now = elapsed();
      const bool running = now < o_.seconds;
      bool any_busy = false;
      for (Session& s : sessions_) {
        if (!s.busy && running) {
          if (!s.warm_recorded && now >= o_.seconds / 4.0) {
            record_memory(s, "warm");
            s.warm_recorded = true;
          }
          start_job(s);
        }
        any_busy = any_busy || s.busy;
      }
      flood_step(running);
      if (!running && !any_busy && !flood_busy_) break;
      wait_and_read();
    }
    for (Session& s : sessions_) record_memory(s, "end");
    for (auto& [key, n] : flood_counts_) {
      std::fprintf(out_, "flood\t%s\t%d\n", key.c_str(), n);
    }
    std::fprintf(out_, "summary\t%.3f\t%d\n", elapsed(), jobs_);
    for (Session& s : sessions_) {
      for (PGconn*& c : s.conns) {
        if (c) PQfinish(c);
        c = nullptr;
      }
    }
    if (flood_) PQfinish(flood_);
    std::fclose(out_);
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(Clock::now() - t0_).count();
  }

  PGconn* ensure(Session& s, std::size_t p) {
    PGconn*& c = s.conns[p];
    // An idle connection whose server went away (a party killed) is
    // readable: the end of the stream, or the server's last FATAL. Such a
    // connection is replaced before a job is sent on it, so that a job
    // counts as lost at a party only when that party was killed while the
    // job ran there.
    if (c && PQstatus(c) == CONNECTION_OK) {
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(PQsocket(c), &fds);
      timeval none{0, 0};
      if (select(PQsocket(c) + 1, &fds, nullptr, nullptr, &none) > 0) {
        if (!PQconsumeInput(c)) {
          PQfinish(c);
          c = nullptr;
        }
        while (c) {
          if (PGnotify* n = PQnotifies(c)) PQfreemem(n);
          else break;
        }
      }
    }
    if (c && PQstatus(c) == CONNECTION_OK) return c;
    if (c) PQfinish(c);
    c = PQconnectdb(o_.parties[p].conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      PQfinish(c);
      c = nullptr;
    }
    return c;
  }

  void start_job(Session& s) {
    const Kind& kind = o_.kinds[(s.index + s.k) % o_.kinds.size()];
    s.job = o_.prefix + "-" + std::to_string(s.index) + "-" + std::to_string(s.k);
    s.kind = kind.name;
    const std::size_t home = (s.index + s.k / o_.kinds.size()) % o_.parties.size();
    ++s.k;
    const std::string sql = with_job(kind.sql, s.job);
    s.start_s = elapsed();
    bool sent = false;
    for (std::size_t p = 0; p < o_.parties.size(); ++p) {
      Part& part = s.parts[p];
      part = Part();
      if (kind.name == "run" && p != home) continue;
      PGconn* c = ensure(s, p);
      if (!c || !PQsendQuery(c, sql.c_str())) {
        part.outcome = "nostart";
        part.value = c ? one_line(PQerrorMessage(c)) : "no connection";
        part.end_s = elapsed();
        continue;
      }
      part.pending = true;
      sent = true;
    }
    ++jobs_;
    s.busy = true;
    if (!sent) finish(s);
  }

  // Reads what is there for session s at party p; true when the part ended.
  bool read_part(Session& s, std::size_t p) {
    PGconn* c = s.conns[p];
    Part& part = s.parts[p];
    if (!PQconsumeInput(c)) {
      part.outcome = "lost";
      part.value = one_line(PQerrorMessage(c));
      PQfinish(c);
      s.conns[p] = nullptr;
      return true;
    }
    while (!PQisBusy(c)) {
      PGresult* r = PQgetResult(c);
      if (r == nullptr) {
        if (part.outcome.empty()) {
          // The connection broke: libpq reports no result at all.
          part.outcome = "lost";
          part.value = one_line(PQerrorMessage(c));
        }
        if (PQstatus(c) != CONNECTION_OK) {
          PQfinish(c);
          s.conns[p] = nullptr;
        }
        return true;
      }
      const ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_TUPLES_OK) {
        part.outcome = "ok";
        part.value = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? one_line(PQgetvalue(r, 0, 0))
                                                                : "NULL";
      } else if (st != PGRES_COMMAND_OK) {
        const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        part.outcome = code ? "error" : "lost";
        part.sqlstate = code ? code : "";
        part.value = one_line(PQresultErrorMessage(r));
      }
      PQclear(r);
    }
    return false;
  }

  void finish(Session& s) {
    for (std::size_t p = 0; p < o_.parties.size(); ++p) {
      const Part& part = s.parts[p];
      if (part.outcome.empty()) continue;  // not this kind's party
      std::fprintf(out_, "attempt\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\n", s.job.c_str(),
                   s.kind.c_str(), o_.parties[p].name.c_str(), part.outcome.c_str(),
                   part.sqlstate.empty() ? "-" : part.sqlstate.c_str(), part.value.c_str(),
                   s.start_s, part.end_s);
    }
    std::fflush(out_);
    s.busy = false;
  }

  void wait_and_read() {
    fd_set fds;
    FD_ZERO(&fds);
    int maxfd = -1;
    auto watch = [&](PGconn* c) {
      const int fd = PQsocket(c);
      if (fd < 0) return;
      FD_SET(fd, &fds);
      maxfd = std::max(maxfd, fd);
    };
    for (Session& s : sessions_) {
      for (std::size_t p = 0; p < o_.parties.size(); ++p) {
        if (s.busy && s.parts[p].pending) watch(s.conns[p]);
      }
    }
    if (flood_busy_) watch(flood_);
    timeval tv{0, 20000};
    if (maxfd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } else if (select(maxfd + 1, &fds, nullptr, nullptr, &tv) < 0) {
      die("select failed");
    }
    const double now = elapsed();
    for (Session& s : sessions_) {
      if (!s.busy) continue;
      bool left = false;
      for (std::size_t p = 0; p < o_.parties.size(); ++p) {
        Part& part = s.parts[p];
        if (!part.pending) continue;
        PGconn* c = s.conns[p];
        const int fd = PQsocket(c);
        bool ended = false;
        if (fd >= 0 && maxfd >= 0 && FD_ISSET(fd, &fds)) ended = read_part(s, p);
        if (!ended && now - s.start_s > o_.deadline) {
          part.outcome = "hung";
          part.value = "no answer within the deadline";
          PQfinish(c);
          s.conns[p] = nullptr;
          ended = true;
        }
        if (ended) {
          part.pending = false;
          part.end_s = elapsed();
        } else {
          left = true;
        }
      }
      if (!left) finish(s);
    }
    if (flood_busy_ && FD_ISSET(PQsocket(flood_), &fds)) flood_read();
  }

  void record_memory(Session& s, const char* phase) {
    for (std::size_t p = 0; p < o_.parties.size(); ++p) {
      PGconn* c = s.conns[p];
      if (!c || PQstatus(c) != CONNECTION_OK) continue;
      PGresult* r = PQexec(c,
                           "SELECT pg_backend_pid(), (SELECT sum(total_bytes) "
                           "FROM pg_backend_memory_contexts)");
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        const int pid = std::atoi(PQgetvalue(r, 0, 0));
        std::fprintf(out_, "mem\t%d\t%s\t%s\t%d\t%s\t%ld\n", s.index,
                     o_.parties[p].name.c_str(), phase, pid, PQgetvalue(r, 0, 1),
                     rss_anon_kb(pid));
      } else {
        std::fprintf(out_, "mem\t%d\t%s\t%s\t0\terror: %s\t-1\n", s.index,
                     o_.parties[p].name.c_str(), phase,
                     one_line(PQresultErrorMessage(r)).c_str());
      }
      PQclear(r);
    }
  }

  void load_flood() {
    if (o_.flood_conn.empty()) return;
    std::ifstream in(o_.flood_file);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) flood_sql_.push_back(line);
    }
    if (flood_sql_.empty()) die("no statements in " + o_.flood_file);
  }

  // Sends the next flood statement when the rate allows it.
  void flood_step(bool running) {
    if (flood_sql_.empty() || flood_busy_ || !running) return;
    const double now = elapsed();
    if (flood_sent_ >= now * o_.flood_rate) return;
    if (!flood_ || PQstatus(flood_) != CONNECTION_OK) {
      if (flood_) PQfinish(flood_);
      flood_ = PQconnectdb(o_.flood_conn.c_str());
      if (PQstatus(flood_) != CONNECTION_OK) {
        ++flood_counts_["noconnect\t-"];
        PQfinish(flood_);
        flood_ = nullptr;
        flood_sent_ = now * o_.flood_rate + o_.flood_rate / 5.0;  // retry in 0.2 s
        return;
      }
    }
    if (!PQsendQuery(flood_, flood_sql_[flood_sent_ % flood_sql_.size()].c_str())) {
      ++flood_counts_["lost\t-"];
      PQfinish(flood_);
      flood_ = nullptr;
      return;
    }
    ++flood_sent_;
    flood_busy_ = true;
  }

  void flood_read() {
    if (!PQconsumeInput(flood_)) {
      ++flood_counts_["lost\t-"];
      PQfinish(flood_);
      flood_ = nullptr;
      flood_busy_ = false;
      return;
    }
    while (!PQisBusy(flood_)) {
      PGresult* r = PQgetResult(flood_);
      if (r == nullptr) {
        flood_busy_ = false;
        return;
      }
      const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      if (PQresultStatus(r) == PGRES_TUPLES_OK) ++flood_counts_["ok\t-"];
      else ++flood_counts_[std::string("error\t") + (code ? code : "-")];
      PQclear(r);
    }
  }

  Options o_;
  FILE* out_;
  Clock::time_point t0_;
  std::vector<Session> sessions_;
  int jobs_ = 0;
  PGconn* flood_ = nullptr;
  bool flood_busy_ = false;
  long flood_sent_ = 0;
  std::vector<std::string> flood_sql_;
  std::map<std::string, int> flood_counts_;
};

}  // namespace

int main(int argc, char** argv) {
  Soak(parse(argc, argv)).run();
  return 0;
}
