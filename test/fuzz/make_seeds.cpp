// Writes the seed corpora of the fuzz targets: valid inputs from which
// libFuzzer starts mutating.
//
//   make_seeds DIR     writes DIR/message/*.bin and DIR/share/*.txt (creating them)
//
// Messages come from a real three-party run (federation "ico", parties a, b,
// c, as fuzz_message_decode.cpp sets up party 0), one of each type addressed
// to party a, and requests; shares from share_value(). A deterministic random source makes
// the output the same on every run, so the committed corpus
// (test/fuzz/corpus) only changes when the formats do.
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/field.hpp"
#include "crypto/share_text.hpp"
#include "protocol/aggregation_job.hpp"
#include "protocol/federation.hpp"
#include "protocol/message.hpp"
#include "test_random.hpp"

namespace {

using smpc::crypto::Fp;
using smpc::protocol::AggregationJob;
using smpc::protocol::FederationDef;
using smpc::protocol::JobParams;
using smpc::protocol::Message;
using smpc::protocol::Outgoing;

// Writes `bytes` to `path`; exits on failure.
void write_file(const std::string& path, const void* bytes, std::size_t len) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(len));
  if (!out) {
    std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

void write_message(const std::string& dir, const std::string& name, const Message& m) {
  const std::vector<std::uint8_t> bytes = smpc::protocol::encode(m);
  write_file(dir + "/message/" + name + ".bin", bytes.data(), bytes.size());
}

void write_text(const std::string& dir, const std::string& name, const std::string& text) {
  write_file(dir + "/share/" + name + ".txt", text.data(), text.size());
}

// Runs one job among parties a, b, c in memory and writes every message
// addressed to party a (index 0), named <prefix>-<type>-from-<sender>.
// With min_rows > 0 the last input element is the row count, so the run has a
// count round.
void write_run(const std::string& dir, const std::string& prefix, const std::string& job_id,
               const std::string& descriptor, const std::vector<std::vector<Fp>>& inputs,
               std::uint64_t seed, std::uint64_t min_rows = 0, std::uint32_t threshold = 0,
               bool hybrid = false) {
  FederationDef def;
  def.name = "ico";
  def.parties = {"a", "b", "c"};
  def.scale = 6;
  def.threshold = threshold;
  if (hybrid) {
    // a and b compute, b neither supplies an input nor learns the result:
    // a key round, salts and MAC tags.
    def.compute = {0, 1};
    def.inputs = {0, 2};
    def.outputs = {0, 2};
  }

  std::vector<smpc::test::DeterministicRandom> rngs;
  for (std::size_t i = 0; i < def.parties.size(); ++i) rngs.emplace_back(seed + i);
  std::vector<AggregationJob> jobs;
  for (std::size_t i = 0; i < def.parties.size(); ++i) {
    JobParams p;
    p.federation = def;
    p.self = static_cast<std::uint16_t>(i);
    p.job_id = job_id;
    p.descriptor = descriptor;
    p.policy.min_rows = min_rows;
    p.policy.min_parties = hybrid ? 2 : p.policy.min_parties;
    p.width = inputs[0].size();
    if (min_rows > 0) p.count_index = inputs[0].size() - 1;
    jobs.emplace_back(p, inputs[i], rngs[i]);
  }

  std::deque<Outgoing> queue;
  for (AggregationJob& job : jobs) {
    for (Outgoing& o : job.start()) queue.push_back(std::move(o));
  }
  while (!queue.empty()) {
    Outgoing o = std::move(queue.front());
    queue.pop_front();
    if (o.to == 0) {
      write_message(dir,
                    prefix + "-" + smpc::protocol::type_name(o.message.type) + "-from-" +
                        def.parties[o.message.sender],
                    o.message);
    }
    for (Outgoing& more : jobs[o.to].receive(o.message)) queue.push_back(std::move(more));
  }
  if (!jobs[0].finished()) {
    std::fprintf(stderr, "make_seeds: the in-memory run of %s did not finish\n", job_id.c_str());
    std::exit(1);
  }
  write_message(dir, prefix + "-abort-from-b",
                jobs[1].abort_message(0, "party b: statement timeout"));
}

// Requests (not part of a job run): each stage from b to a, and a failure
// report back.
void write_requests(const std::string& dir) {
  Message m;
  m.type = smpc::protocol::MessageType::kRequest;
  m.federation = "ico";
  m.job_id = "expenditure/avg/amount/0123456789abcdef";
  m.sender = 1;
  m.receiver = 0;
  for (std::size_t i = 0; i < m.nonce.size(); ++i) m.nonce[i] = static_cast<std::uint8_t>(7 * i);
  m.descriptor = "avg(integer)";
  m.dataset = "expenditure";
  m.column = "amount";
  for (auto stage : {smpc::protocol::RequestStage::kCheck, smpc::protocol::RequestStage::kLaunch,
                     smpc::protocol::RequestStage::kWithdraw}) {
    m.stage = stage;
    write_message(dir, "request-" + std::to_string(static_cast<int>(stage)) + "-from-b", m);
  }
  m.stage = smpc::protocol::RequestStage::kFailed;
  m.refused = true;
  m.reason = "dataset \"expenditure\" is not published to federation \"ico\" at party \"b\"";
  write_message(dir, "request-failed-from-b", m);
}

// Joins shares into one text, one per line.
std::string lines(const std::vector<std::string>& shares, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += '\n';
    out += shares[i];
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir + "/message");
  std::filesystem::create_directories(dir + "/share");

  // The ICO example: sums and counts of 10,000, 15,000 and 20,000.
  auto avg_input = [](int v) { return std::vector<Fp>{Fp::from_signed(v), Fp::from_signed(1)}; };
  write_run(dir, "avg", "q3-2026", "avg(integer)",
            {avg_input(10000), avg_input(15000), avg_input(20000)}, 1);
  write_run(dir, "sum", "nightly-7", "sum(bigint)",
            {{Fp::from_signed(-5)}, {Fp::from_signed(0)}, {Fp::from_signed(42)}}, 4);
  // A minimum row count: a count round before the partial round.
  write_run(dir, "gated", "monthly-2026-10", "avg(numeric)",
            {avg_input(10000), avg_input(15000), avg_input(20000)}, 9, 3);
  // Shamir 2-of-3: a roster round.
  write_run(dir, "shamir", "q4-2026", "avg(integer)",
            {avg_input(10000), avg_input(15000), avg_input(20000)}, 12, 0, 2);
  // The hybrid model: a key round, salts and MAC tags.
  write_run(dir, "hybrid", "h-2026-11", "avg(integer)", {avg_input(7), {}, avg_input(11)}, 15, 0, 0,
            true);

  write_requests(dir);

  smpc::test::DeterministicRandom rng(7);
  const std::vector<std::string> additive = smpc::crypto::share_value(15000000000, 6, 3, 0, rng);
  const std::vector<std::string> shamir = smpc::crypto::share_value(-12345, 2, 3, 2, rng);
  const std::vector<std::string> pair = smpc::crypto::share_value(0, 0, 2, 0, rng);
  write_text(dir, "additive-3-one", additive[0]);
  write_text(dir, "additive-3-all", lines(additive, 3));
  write_text(dir, "shamir-2of3-one", shamir[2]);
  write_text(dir, "shamir-2of3-two", lines(shamir, 2));
  write_text(dir, "additive-2-all", lines(pair, 2));
  return 0;
}
