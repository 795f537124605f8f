// Model-based randomized test of rtwire/longpoll/queue.hpp: 10^5 random steps per duplicate-poll
// policy (publish; fresh, resumed, stale, future and wrong-epoch polls; duplicate polls; lost
// responses; cancel; expire with time moving forwards and backwards; epoch changes), checked
// after every step against a plain reference model of each topic's history and retention.
//
// Checked invariants: every poll outcome is exactly the one the model predicts (the same
// batch, cursor, reset reason or rejection); each client's processed sequence is a contiguous
// slice of what was published, in order, and changes only through a batch or an announced
// reset; every parked waiter completes at most once, and only while outstanding; a cancelled
// waiter gets nothing; a superseded or timed-out waiter gets an empty batch and its cursor back;
// publish() wakes exactly the topic's waiters, in park order; expire() completes exactly the due
// waiters; next_deadline() and waiters() agree with the model.
//
// Reproduce a failure with RTWIRE_LONGPOLL_SEED=<seed printed by the failing check>.
#include <rtwire/longpoll.hpp>

#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/longpoll_model.hpp"

using namespace std::chrono_literals;
namespace lp = rtwire::longpoll;
namespace lg = rtwire::log;
using rtwire_test::longpoll::model_topic;
using rtwire_test::longpoll::seed_from_env;

namespace {

constexpr std::size_t batch_messages = 3;
constexpr std::size_t batch_bytes = 16;
constexpr std::size_t backlog_bytes = 40;
constexpr lp::millis max_timeout{100};
constexpr lg::retention keep{.max_messages = 8, .max_bytes = 64, .max_age = lp::millis{250}};

struct outstanding {
  std::size_t client;
  lp::waiter_id id;
  lp::topic_id topic;
  lp::cursor at;  // the cursor the poll waits after
  lp::millis deadline;
};

struct client {
  std::size_t topic = 0;
  std::optional<lp::cursor> at;  // none: a fresh client
  std::uint64_t session = 0;
  std::uint64_t processed = 0;  // messages processed
  std::uint64_t resets = 0;
};

class harness {
 public:
  harness(lp::duplicate_poll policy, std::uint64_t seed)
      : rng_(seed),
        q_({.max_batch_messages = batch_messages,
            .max_batch_bytes = batch_bytes,
            .max_message_bytes = 20,
            .max_timeout = max_timeout,
            .max_waiters = 6,
            .max_session_waiters = 2,
            .max_session_backlog_bytes = backlog_bytes,
            .on_duplicate = policy}),
        policy_(policy) {
    for (int i = 0; i < 2; ++i)
      topics_.push_back(*q_.add_topic(1, keep));
    model_.assign(2, model_topic{.keep = keep, .epoch = 1});
    clients_.resize(5);
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      clients_[i].topic = i % 2;
      clients_[i].session = 100 + i;
    }
    // Start the queue's clock at the model's: 0.
    REQUIRE(q_.expire(now_, out_) == 0);
  }

  void step() {
    const auto r = pick(100);
    if (r < 30) {
      publish();
    } else if (r < 65) {
      poll(pick(clients_.size()), pick(10) == 0);
    } else if (r < 72) {
      probe();
    } else if (r < 78) {
      cancel();
    } else if (r < 97) {
      expire();
    } else {
      new_epoch();
    }
    check_global();
  }

  std::uint64_t delivered() const {
    std::uint64_t n = 0;
    for (const auto& c : clients_)
      n += c.processed;
    return n;
  }
  std::uint64_t resets() const {
    std::uint64_t n = 0;
    for (const auto& c : clients_)
      n += c.resets;
    return n;
  }

 private:
  std::uint64_t pick(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }

  // Time moves forwards by 0..30 ms; one call in eight passes a smaller `now` than the largest
  // given so far (now_), which the queue must treat as equal to now_.
  lp::millis tick() {
    if (pick(8) == 0) return now_ - lp::millis{static_cast<lp::millis::rep>(pick(50) + 1)};
    now_ += lp::millis{static_cast<lp::millis::rep>(pick(31))};
    return now_;
  }

  void publish() {
    const std::size_t t = pick(2);
    const lp::millis now = tick();
    std::string payload(pick(14) + (pick(20) == 0 ? 7 : 0), static_cast<char>('a' + pick(26)));
    const auto r = q_.publish(topics_[t], payload, now, out_);
    if (payload.size() > 20) {
      REQUIRE(r.error == lg::error::message_too_large);
      REQUIRE(out_.empty());
      return;
    }
    REQUIRE(r);
    model_topic& m = model_[t];
    m.payloads.push_back(payload);
    m.times.push_back(now_);
    m.bytes += payload.size();
    m.evict(now_);
    REQUIRE(r.at == lp::cursor{m.epoch, m.last()});
    // Exactly the topic's outstanding waiters, in park order.
    std::vector<std::uint64_t> expected;
    for (const auto& [token, o] : waiting_)
      if (o.topic == topics_[t]) expected.push_back(token);
    REQUIRE(out_.size() == expected.size());
    for (std::size_t i = 0; i < out_.size(); ++i) {
      REQUIRE(out_[i].token == expected[i]);
      REQUIRE(out_[i].reason == lp::completion_reason::delivered);
    }
    complete_all();
  }

  // What the model says a poll at `c` on topic t must return (for a valid cursor).
  struct expectation {
    lp::poll_status status;
    std::error_code error;
    std::uint64_t count = 0;
  };
  expectation expect(std::size_t t, lp::cursor c, bool with_session, std::size_t parked) const {
    const model_topic& m = model_[t];
    if (c.epoch != m.epoch) return {lp::poll_status::reset, lg::error::epoch_mismatch};
    if (c.offset > m.last()) return {lp::poll_status::reset, lg::error::cursor_from_future};
    if (c.offset + 1 < m.first) return {lp::poll_status::reset, lg::error::cursor_too_old};
    if (with_session && m.backlog(c.offset) > backlog_bytes)
      return {lp::poll_status::reset, lp::error::slow_consumer};
    if (c.offset == m.last()) {
      if (parked >= 6) return {lp::poll_status::rejected, lp::error::too_many_waiters};
      return {lp::poll_status::parked, {}};
    }
    std::uint64_t n = 0, bytes = 0;
    for (std::uint64_t o = c.offset + 1; o <= m.last() && n < batch_messages; ++o) {
      const std::size_t size = m.payloads[o - 1].size();
      if (n != 0 && bytes + size > batch_bytes) break;
      bytes += size;
      ++n;
    }
    return {lp::poll_status::ready, {}, n};
  }

  void check_batch(std::size_t t, lp::cursor after, const lp::batch& b, lp::cursor next) const {
    const model_topic& m = model_[t];
    REQUIRE(!b.empty());
    REQUIRE(next == lp::cursor{m.epoch, after.offset + b.size()});
    for (std::size_t i = 0; i < b.size(); ++i) {
      REQUIRE(b[i].offset() == after.offset + 1 + i);
      REQUIRE(b[i].payload() == m.payloads[b[i].offset() - 1]);
    }
  }

  // A client processes a batch: it must continue exactly where the client is (a batch of an
  // older concurrent poll that the client already processed is skipped whole).
  void process(client& c, const lp::batch& b, lp::cursor next) {
    REQUIRE(c.at);
    REQUIRE(next.epoch == c.at->epoch);
    if (next.offset <= c.at->offset) return;  // a duplicate concurrent answer: already seen
    REQUIRE(b[0].offset() == c.at->offset + 1);
    c.processed += b.size();
    c.at = next;
  }

  void poll(std::size_t ci, bool lose_response) {
    client& c = clients_[ci];
    const bool with_session = pick(3) != 0;
    const lp::millis now = tick();
    const lp::position from = c.at           ? lp::position::after(*c.at)
                              : pick(2) == 0 ? lp::position::oldest()
                                             : lp::position::newest();
    lp::cursor resolved;
    const model_topic& m = model_[c.topic];
    if (c.at) {
      resolved = *c.at;
    } else {
      resolved = {m.epoch, from.type() == lp::position::kind::oldest ? m.first - 1 : m.last()};
    }
    const lp::millis timeout{static_cast<lp::millis::rep>(pick(200))};
    const std::uint64_t token = ++token_;
    const lp::poll_request req{.topic = topics_[c.topic],
                               .from = from,
                               .token = token,
                               .session = with_session ? std::optional(c.session) : std::nullopt,
                               .timeout = timeout};

    // The session rule comes first.
    std::vector<std::uint64_t> session_parked;
    if (with_session)
      for (const auto& [tok, o] : session_waiting_)
        if (o == c.session) session_parked.push_back(tok);
    if (!session_parked.empty() && policy_ == lp::duplicate_poll::reject_new) {
      const auto r = q_.poll(req, now);
      REQUIRE(r.status == lp::poll_status::rejected);
      REQUIRE(r.error == lp::error::session_busy);
      return;
    }
    if (session_parked.size() >= 2 && policy_ == lp::duplicate_poll::allow_concurrent) {
      const auto r = q_.poll(req, now);
      REQUIRE(r.status == lp::poll_status::rejected);
      REQUIRE(r.error == lp::error::too_many_session_waiters);
      return;
    }
    const bool supersedes = !session_parked.empty() && policy_ == lp::duplicate_poll::supersede;
    if (supersedes) {
      REQUIRE(session_parked.size() == 1);
      // The superseded waiter frees its slot before the new poll is judged.
      session_waiting_.erase(session_parked[0]);
    }
    const expectation e =
        expect(c.topic, resolved, with_session, q_.waiters() - (supersedes ? 1 : 0));
    const auto r = q_.poll(req, now);
    if (supersedes) {
      REQUIRE(r.superseded);
      REQUIRE(r.superseded->token == session_parked[0]);
      REQUIRE(r.superseded->reason == lp::completion_reason::superseded);
      REQUIRE(r.superseded->messages.empty());
      const auto it = waiting_.find(session_parked[0]);
      REQUIRE(it != waiting_.end());
      REQUIRE(r.superseded->waiter == it->second.id);
      REQUIRE(r.superseded->next == it->second.at);
      waiting_.erase(it);
    } else {
      REQUIRE_FALSE(r.superseded);
    }
    REQUIRE(r.status == e.status);
    switch (r.status) {
      case lp::poll_status::ready:
        REQUIRE_FALSE(r.error);
        REQUIRE(r.messages.size() == e.count);
        check_batch(c.topic, resolved, r.messages, r.next);
        if (!c.at) c.at = resolved;
        // A lost response: the client keeps its cursor, the next poll gets the same messages.
        if (!lose_response) process(c, r.messages, r.next);
        break;
      case lp::poll_status::parked: {
        REQUIRE(r.next == resolved);
        const lp::millis clamped = std::min(timeout, max_timeout);
        REQUIRE(r.deadline == now_ + clamped);
        if (!c.at) c.at = resolved;
        waiting_[token] = {ci, r.waiter, topics_[c.topic], resolved, r.deadline};
        if (with_session) session_waiting_[token] = c.session;
        break;
      }
      case lp::poll_status::reset:
        REQUIRE(r.error == e.error);
        REQUIRE(r.next == lp::cursor{m.epoch, m.last()});
        // The announced discontinuity: the client resyncs from the head.
        c.at = r.next;
        ++c.resets;
        break;
      case lp::poll_status::rejected:
        REQUIRE(r.error == e.error);
        break;
    }
  }

  // A stranger's poll with a stale, future, wrong-epoch or malformed cursor.
  void probe() {
    const std::size_t t = pick(2);
    const model_topic& m = model_[t];
    lp::cursor c{m.epoch, pick(m.last() + 3)};
    if (pick(4) == 0) c.epoch = m.epoch + 1 + pick(3);
    const bool malformed = pick(6) == 0;
    // Appended, not "0" + to_string(c): GCC 12 reports a bogus -Wrestrict at -O2/-O3 for
    // operator+(const char*, std::string&&) (GCC PR 105651).
    std::string text = malformed ? "0" : "";
    text += lg::to_string(c);
    const auto r = q_.poll({.topic = topics_[t],
                            .from = lp::position::from_text(text),
                            .token = ++token_,
                            .timeout = 0ms},
                           tick());
    if (malformed) {
      REQUIRE(r.status == lp::poll_status::rejected);
      REQUIRE(r.error == lg::error::malformed_cursor);
      return;
    }
    const expectation e =
        expect(t, c, false, q_.waiters() - (r.status == lp::poll_status::parked ? 1 : 0));
    REQUIRE(r.status == e.status);
    if (r.status == lp::poll_status::ready) check_batch(t, c, r.messages, r.next);
    if (r.status == lp::poll_status::reset) REQUIRE(r.error == e.error);
    // A probe that parks is cancelled at once: it never completes.
    if (r.status == lp::poll_status::parked) {
      REQUIRE(q_.cancel(r.waiter));
      cancelled_.push_back(r.waiter);
    }
  }

  void cancel() {
    if (waiting_.empty()) {
      REQUIRE_FALSE(q_.cancel(lp::waiter_id{}));
      return;
    }
    auto it = waiting_.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(pick(waiting_.size())));
    REQUIRE(q_.cancel(it->second.id));
    REQUIRE_FALSE(q_.cancel(it->second.id));
    cancelled_.push_back(it->second.id);
    session_waiting_.erase(it->first);
    waiting_.erase(it);
  }

  void expire() {
    const lp::millis now = tick();
    std::vector<std::uint64_t> due;
    std::vector<std::pair<lp::millis, std::uint64_t>> order;
    for (const auto& [token, o] : waiting_)
      if (o.deadline <= now_) order.emplace_back(o.deadline, token);
    std::sort(order.begin(), order.end());
    const std::size_t n = q_.expire(now, out_);
    REQUIRE(n == order.size());
    REQUIRE(out_.size() == order.size());
    for (std::size_t i = 0; i < out_.size(); ++i) {
      REQUIRE(out_[i].token == order[i].second);
      REQUIRE(out_[i].reason == lp::completion_reason::timed_out);
      REQUIRE(out_[i].messages.empty());
    }
    for (auto& m : model_)
      m.evict(now_);
    complete_all();
  }

  void new_epoch() {
    const std::size_t t = pick(2);
    model_topic& m = model_[t];
    REQUIRE(q_.reset_topic(topics_[t], m.epoch, out_) == lg::error::same_epoch);
    REQUIRE(out_.empty());
    REQUIRE_FALSE(q_.reset_topic(topics_[t], m.epoch + 1, out_));
    m = model_topic{.keep = keep, .epoch = m.epoch + 1};
    for (const auto& c : out_) {
      REQUIRE(c.reason == lp::completion_reason::reset);
      REQUIRE(c.reset == lg::error::epoch_mismatch);
      REQUIRE(c.topic == topics_[t]);
    }
    complete_all();
  }

  // Hands every completion in out_ to its client, checking it against the model.
  void complete_all() {
    for (const lp::completion& done : out_) {
      const auto it = waiting_.find(done.token);
      REQUIRE(it != waiting_.end());  // never twice, never after cancel or supersede
      const outstanding o = it->second;
      REQUIRE(done.waiter == o.id);
      REQUIRE(done.topic == o.topic);
      REQUIRE_FALSE(q_.is_parked(o.id));
      waiting_.erase(it);
      session_waiting_.erase(done.token);
      client& c = clients_[o.client];
      const std::size_t t = o.topic.value;
      switch (done.reason) {
        case lp::completion_reason::delivered:
          REQUIRE(o.at.epoch == model_[t].epoch);
          check_batch(t, o.at, done.messages, done.next);
          if (pick(10) != 0) process(c, done.messages, done.next);  // else: response lost
          break;
        case lp::completion_reason::timed_out:
          REQUIRE(done.next == o.at);
          REQUIRE(o.deadline <= now_);
          break;
        case lp::completion_reason::superseded:
          FAIL("a superseded waiter is returned by poll(), not in a batch of completions");
          break;
        case lp::completion_reason::reset:
          REQUIRE(done.next == lp::cursor{model_[t].epoch, model_[t].last()});
          REQUIRE(done.messages.empty());
          if (c.at && c.at->epoch != done.next.epoch) {
            c.at = done.next;
            ++c.resets;
          }
          break;
      }
    }
    out_.clear();
  }

  void check_global() {
    REQUIRE(q_.waiters() == waiting_.size());
    for (const auto& id : cancelled_)
      REQUIRE_FALSE(q_.is_parked(id));
    if (cancelled_.size() > 64) cancelled_.erase(cancelled_.begin(), cancelled_.begin() + 32);
    for (std::size_t t = 0; t < 2; ++t) {
      const auto* log = q_.topic_log(topics_[t]);
      REQUIRE(log->head() == lp::cursor{model_[t].epoch, model_[t].last()});
      REQUIRE(log->first_offset() == model_[t].first);
      REQUIRE(log->bytes() == model_[t].bytes);
    }
    // next_deadline(): the earliest parked deadline or age eviction.
    std::optional<lp::millis> want;
    for (const auto& [token, o] : waiting_)
      if (!want || o.deadline < *want) want = o.deadline;
    for (const auto& m : model_) {
      if (m.first > m.last()) continue;
      const lp::millis due = m.times[m.first - 1] + keep.max_age + 1ms;
      if (!want || due < *want) want = due;
    }
    REQUIRE(q_.next_deadline() == want);
  }

  std::mt19937_64 rng_;
  lp::queue q_;
  lp::duplicate_poll policy_;
  std::vector<lp::topic_id> topics_;
  std::vector<model_topic> model_;
  std::vector<client> clients_;
  std::map<std::uint64_t, outstanding> waiting_;            // by token = park order
  std::map<std::uint64_t, std::uint64_t> session_waiting_;  // token -> session
  std::vector<lp::waiter_id> cancelled_;
  std::vector<lp::completion> out_;
  std::uint64_t token_ = 0;
  lp::millis now_{0};
};

}  // namespace

TEST_CASE("model: 10^5 random steps per duplicate-poll policy", "[longpoll][model]") {
  const std::uint64_t seed = seed_from_env();
  for (const auto policy : {lp::duplicate_poll::supersede, lp::duplicate_poll::reject_new,
                            lp::duplicate_poll::allow_concurrent}) {
    INFO("seed " << seed << ", policy " << static_cast<int>(policy));
    harness h(policy, seed + static_cast<std::uint64_t>(policy));
    for (int i = 0; i < 100'000; ++i)
      h.step();
    // The run exercised delivery and resets (a model that never delivers proves nothing).
    CHECK(h.delivered() > 10'000);
    CHECK(h.resets() > 100);
  }
}
