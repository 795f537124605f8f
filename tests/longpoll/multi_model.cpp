// Model-based randomized test of multi-topic polls (poll_request::also) in
// rtwire/longpoll/queue.hpp: 10^5 random steps per duplicate-poll policy over four topics, each
// bound by a different retention limit (count, bytes, age, and one that keeps nothing, so a
// publish resets its waiters instead of delivering). Clients subscribe to 1-3 topics and hold one
// cursor per topic; each poll names some or all of them in a random order. Steps: publish;
// client polls from fresh, resumed, stale (after a lost response) and deliberately bad (future,
// evicted, wrong-epoch) cursors, with or without a session; strangers' probes naming any mix of
// topics and positions (unknown, repeated or too many topics, malformed cursors); cancel;
// resubscription; expire with time moving forwards and backwards; epoch changes. Every step is
// checked against a plain reference model.
//
// Checked invariants: every poll outcome is exactly the one the model predicts (status, every
// topic's batch and next cursor, the reset topic, reason and head, the rejection and the topic
// it names); per (client, topic) the processed sequence is a contiguous slice of what was
// published to that topic, in order, and moves only through a batch or an announced reset of
// that topic; every parked waiter completes at most once, and only while outstanding; a
// cancelled waiter gets nothing; publish(), reset_topic() and expire() complete exactly the
// expected waiters in the documented order, a delivery carrying the batch in the publishing
// topic's entry and every other cursor unchanged; superseded and timed-out completions return
// every cursor unchanged; waiters(), waiters(topic), sessions(), is_parked(), next_deadline()
// and each topic log agree with the model; the queue's own tables never grow once they have
// reached the ceiling the limits allow (memory_usage() minus the logs' stays at its baseline).
//
// The single-topic behaviour is covered by model.cpp; this harness follows its structure and
// shares its topic model (tests/support/longpoll_model.hpp).
//
// Reproduce a failure with RTWIRE_LONGPOLL_SEED=<seed printed by the failing check>.
#include <rtwire/longpoll.hpp>

#include <algorithm>
#include <array>
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

constexpr std::size_t topic_count = 4;
constexpr std::size_t batch_messages = 3;
constexpr std::size_t batch_bytes = 16;
constexpr std::size_t backlog_bytes = 40;
constexpr std::size_t max_message_bytes = 22;
constexpr std::size_t max_waiters = 8;
constexpr std::size_t max_poll_topics = 3;
constexpr std::size_t max_session_waiters = 2;
constexpr lp::millis max_timeout{100};

// Topic 0 is bound by count, 1 by bytes (it refuses messages over 20 bytes that the queue would
// accept), 2 by age; 3 keeps nothing, so each publish evicts the new message at once.
constexpr std::array<lg::retention, topic_count> keep{{
    {.max_messages = 8, .max_bytes = 64},
    {.max_messages = 12, .max_bytes = 20},
    {.max_messages = 12, .max_bytes = 64, .max_age = lp::millis{300}},
    {.max_messages = 0, .max_bytes = 64},
}};

/// One topic of a request, as the test composes it (the queue sees the lp::position).
struct entry {
  enum class kind { after, oldest, newest, from_offset, malformed };
  std::size_t topic = 0;  // >= topic_count: an id the queue never returned
  kind from = kind::newest;
  lp::cursor at{};          // after; malformed: `at` spelled with a leading zero
  std::uint64_t first = 0;  // from_offset

  lp::position position() const {
    switch (from) {
      case kind::after:
        return lp::position::after(at);
      case kind::oldest:
        return lp::position::oldest();
      case kind::newest:
        return lp::position::newest();
      case kind::from_offset:
        return lp::position::from_offset(first);
      case kind::malformed:
        break;
    }
    // Appended, not "0" + to_string(at): GCC 12 reports a bogus -Wrestrict at -O2/-O3 for
    // operator+(const char*, std::string&&) (GCC PR 105651).
    std::string text = "0";
    text += lg::to_string(at);
    return lp::position::from_text(text);
  }
};

/// A parked poll the model expects to complete: its topics in request order with the cursor each
/// waits after.
struct outstanding {
  std::size_t client;
  lp::waiter_id id;
  std::vector<std::pair<std::size_t, lp::cursor>> at;
  lp::millis deadline;
  std::optional<std::uint64_t> session;
};

struct client {
  std::vector<std::size_t> topics;                        // subscribed, 1-3 distinct
  std::array<std::optional<lp::cursor>, topic_count> at;  // none: fresh on that topic
  std::uint64_t session = 0;
};

/// One topic's part of a poll_result or completion: index 0 is `topic`/`next`/`messages`,
/// index i > 0 is also[i - 1].
struct part {
  lp::topic_id topic;
  lp::cursor next;
  const lp::batch* messages;
};
template <class R>
part part_of(const R& r, std::size_t i) {
  if (i == 0) return {r.topic, r.next, &r.messages};
  return {r.also[i - 1].topic, r.also[i - 1].next, &r.also[i - 1].messages};
}

/// What the model says a poll must return.
struct prediction {
  lp::poll_status status = lp::poll_status::rejected;
  std::error_code error;
  std::size_t topic = 0;  // the topic the result names
  std::vector<lp::cursor> resolved{};
  std::vector<std::uint64_t> counts{};  // ready: batch size per topic
};

/// Coverage counters: a model that never reaches a branch proves nothing about it.
struct stats {
  std::uint64_t processed = 0;        // messages clients processed
  std::uint64_t resets = 0;           // resets clients applied
  std::uint64_t multi_ready = 0;      // ready results with batches on two topics or more
  std::uint64_t later_delivery = 0;   // deliveries in an `also` entry
  std::uint64_t later_reset = 0;      // poll resets naming a topic other than the first
  std::uint64_t evicted_at_once = 0;  // reset completions from retention (topic 3)
  std::uint64_t slow = 0;             // slow_consumer outcomes
  std::uint64_t superseded = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t multi_parked = 0;  // polls parked on two topics or more
  std::uint64_t concurrent = 0;    // polls parked beside another of the same session
  std::uint64_t busy = 0;          // session_busy and too_many_session_waiters rejections
};

class harness {
 public:
  harness(lp::duplicate_poll policy, lp::slow_consumer_policy slow, std::uint64_t seed)
      : rng_(seed),
        q_({.max_batch_messages = batch_messages,
            .max_batch_bytes = batch_bytes,
            .max_message_bytes = max_message_bytes,
            .max_timeout = max_timeout,
            .max_waiters = max_waiters,
            .max_poll_topics = max_poll_topics,
            .max_session_waiters = max_session_waiters,
            .max_session_backlog_bytes = backlog_bytes,
            .on_duplicate = policy,
            .on_slow_consumer = slow}),
        policy_(policy),
        slow_(slow) {
    for (std::size_t t = 0; t < topic_count; ++t) {
      // Distinct epochs: a cursor of one topic is a wrong-epoch cursor on every other.
      topics_.push_back(*q_.add_topic(t + 1, keep[t]));
      model_[t].keep = keep[t];
      model_[t].epoch = t + 1;
    }
    clients_.resize(6);
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      clients_[i].session = 100 + i;
      subscribe(clients_[i]);
    }
    // Start the queue's clock at the model's: 0.
    REQUIRE(q_.expire(now_, out_) == 0);
    warm_up();
  }

  void step() {
    const auto r = pick(100);
    if (r < 27) {
      publish();
    } else if (r < 63) {
      client_poll(pick(clients_.size()));
    } else if (r < 71) {
      probe();
    } else if (r < 76) {
      cancel();
    } else if (r < 78) {
      resubscribe(pick(clients_.size()));
    } else if (r < 99) {
      expire();
    } else {
      new_epoch();
    }
    check_global();
  }

  const stats& counts() const { return stats_; }

 private:
  std::uint64_t pick(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }
  static lp::topic_id id(std::size_t t) { return lp::topic_id{static_cast<std::uint32_t>(t)}; }

  // Time moves forwards by 0..30 ms; one call in eight passes a smaller `now` than the largest
  // given so far (now_), which the queue must treat as equal to now_.
  lp::millis tick() {
    if (pick(8) == 0) return now_ - lp::millis{static_cast<lp::millis::rep>(pick(50) + 1)};
    now_ += lp::millis{static_cast<lp::millis::rep>(pick(31))};
    return now_;
  }

  // A new random subset of 1-3 topics; topics kept keep their cursors, new ones start fresh.
  void subscribe(client& c) {
    std::vector<std::size_t> all(topic_count);
    for (std::size_t t = 0; t < topic_count; ++t)
      all[t] = t;
    std::shuffle(all.begin(), all.end(), rng_);
    all.resize(1 + pick(max_poll_topics));
    for (std::size_t t = 0; t < topic_count; ++t)
      if (std::find(all.begin(), all.end(), t) == all.end()) c.at[t].reset();
    c.topics = all;
  }

  // The queue's own tables (waiter slots, links, deadline heap, session buckets, byte rings)
  // grow by steps up to a ceiling set by max_waiters, max_poll_topics and retention, and never
  // shrink: park the most polls on the most topics with sessions while cycling enough of them to
  // fill the deadline heap with stale entries, so every table reaches its ceiling, then record
  // the baseline that memory_usage() minus the logs must keep for the rest of the run.
  void warm_up() {
    for (std::size_t t = 0; t < topic_count; ++t)
      publish_to(t, "w");
    std::deque<lp::waiter_id> parked;
    const std::array also{lp::topic_position{id(1)}, lp::topic_position{id(2)}};
    for (std::uint64_t i = 0; i < 100; ++i) {
      if (parked.size() == max_waiters) {
        REQUIRE(q_.cancel(parked.front()));
        parked.pop_front();
      }
      const auto r = q_.poll({.topic = id(0),
                              .also = also,
                              .token = ++token_,
                              .session = 900 + i,
                              .timeout = max_timeout},
                             now_);
      REQUIRE(r.status == lp::poll_status::parked);
      parked.push_back(r.waiter);
    }
    for (const auto w : parked)
      REQUIRE(q_.cancel(w));
    REQUIRE(q_.waiters() == 0);
    baseline_ = own_memory();
  }

  std::size_t own_memory() const {
    std::size_t logs = 0;
    for (std::size_t t = 0; t < topic_count; ++t)
      logs += q_.topic_log(id(t))->memory_usage();
    return q_.memory_usage() - logs;
  }

  // -- The model's predictions -----------------------------------------------------------------

  lp::cursor resolve(const entry& e) const {
    const model_topic& m = model_[e.topic];
    switch (e.from) {
      case entry::kind::oldest:
        return {m.epoch, m.first - 1};
      case entry::kind::newest:
        return m.head();
      case entry::kind::from_offset:
        return {m.epoch, e.first == 0 ? 0 : e.first - 1};
      default:
        return e.at;
    }
  }

  // Step 1 of poll(): the request's shape, judged before anything else.
  static std::error_code shape_error(const std::vector<entry>& req) {
    for (const entry& e : req)
      if (e.topic >= topic_count) return lp::error::unknown_topic;
    if (req.size() > max_poll_topics) return lp::error::too_many_poll_topics;
    for (std::size_t i = 0; i < req.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (req[i].topic == req[j].topic) return lp::error::duplicate_topic;
    for (const entry& e : req)
      if (e.from == entry::kind::malformed) return lg::error::malformed_cursor;
    return {};
  }

  // Steps 3-6 of poll() for a well-formed request, with `parked` waiters already parked.
  prediction predict(const std::vector<entry>& req, bool with_session, std::size_t parked) const {
    prediction p;
    p.topic = req[0].topic;
    for (const entry& e : req)
      p.resolved.push_back(resolve(e));
    // Every cursor is checked, in request order, before anything is delivered.
    for (std::size_t i = 0; i < req.size(); ++i) {
      const model_topic& m = model_[req[i].topic];
      const lp::cursor c = p.resolved[i];
      std::error_code e;
      if (c.epoch != m.epoch) {
        e = lg::error::epoch_mismatch;
      } else if (c.offset > m.last()) {
        e = lg::error::cursor_from_future;
      } else if (c.offset + 1 < m.first) {
        e = lg::error::cursor_too_old;
      } else if (with_session && m.backlog(c.offset) > backlog_bytes) {
        e = lp::error::slow_consumer;
      }
      if (e) {
        const bool reject =
            e == lp::error::slow_consumer && slow_ == lp::slow_consumer_policy::reject;
        p.status = reject ? lp::poll_status::rejected : lp::poll_status::reset;
        p.error = e;
        p.topic = req[i].topic;
        return p;
      }
    }
    bool ready = false;
    for (std::size_t i = 0; i < req.size(); ++i) {
      const model_topic& m = model_[req[i].topic];
      std::uint64_t n = 0, bytes = 0;
      for (std::uint64_t o = p.resolved[i].offset + 1; o <= m.last() && n < batch_messages; ++o) {
        const std::size_t size = m.payloads[o - 1].size();
        if (n != 0 && bytes + size > batch_bytes) break;
        bytes += size;
        ++n;
      }
      p.counts.push_back(n);
      ready = ready || n != 0;
    }
    if (ready) {
      p.status = lp::poll_status::ready;
    } else if (parked >= max_waiters) {
      p.error = lp::error::too_many_waiters;
    } else {
      p.status = lp::poll_status::parked;
    }
    return p;
  }

  // -- Checks ----------------------------------------------------------------------------------

  void check_batch(std::size_t t, lp::cursor after, const lp::batch& b, lp::cursor next) const {
    const model_topic& m = model_[t];
    REQUIRE(!b.empty());
    REQUIRE(after.epoch == m.epoch);
    REQUIRE(next == lp::cursor{m.epoch, after.offset + b.size()});
    for (std::size_t i = 0; i < b.size(); ++i) {
      REQUIRE(b[i].offset() == after.offset + 1 + i);
      REQUIRE(b[i].payload() == m.payloads[b[i].offset() - 1]);
    }
  }

  void check_result(const std::vector<entry>& req, const prediction& p, const lp::poll_result& r,
                    lp::millis timeout) const {
    REQUIRE(r.status == p.status);
    switch (r.status) {
      case lp::poll_status::ready:
      case lp::poll_status::parked:
        REQUIRE_FALSE(r.error);
        REQUIRE(r.also.size() == req.size() - 1);
        for (std::size_t i = 0; i < req.size(); ++i) {
          const part e = part_of(r, i);
          REQUIRE(e.topic == id(req[i].topic));
          if (r.status == lp::poll_status::ready && p.counts[i] != 0) {
            REQUIRE(e.messages->size() == p.counts[i]);
            check_batch(req[i].topic, p.resolved[i], *e.messages, e.next);
          } else {
            REQUIRE(e.messages->empty());
            REQUIRE(e.next == p.resolved[i]);
          }
        }
        if (r.status == lp::poll_status::parked)
          REQUIRE(r.deadline == now_ + std::clamp(timeout, lp::millis{0}, max_timeout));
        break;
      case lp::poll_status::reset:
        REQUIRE(r.error == p.error);
        REQUIRE(r.topic == id(p.topic));
        REQUIRE(r.next == model_[p.topic].head());
        REQUIRE(r.messages.empty());
        REQUIRE(r.also.empty());
        break;
      case lp::poll_status::rejected:
        REQUIRE(r.error == p.error);
        // The poll's first topic, except a slow consumer names the topic it is slow on.
        REQUIRE(r.topic == id(p.topic));
        REQUIRE(r.next == lp::cursor{});
        REQUIRE(r.messages.empty());
        REQUIRE(r.also.empty());
        break;
    }
  }

  // A completion that consumed nothing (timed out, superseded): every topic in request order,
  // empty, with the cursor it waited after.
  static void check_unchanged(const lp::completion& done, const outstanding& o) {
    REQUIRE_FALSE(done.reset);
    REQUIRE(done.also.size() == o.at.size() - 1);
    for (std::size_t i = 0; i < o.at.size(); ++i) {
      const part e = part_of(done, i);
      REQUIRE(e.topic == id(o.at[i].first));
      REQUIRE(e.next == o.at[i].second);
      REQUIRE(e.messages->empty());
    }
  }

  // -- Clients ---------------------------------------------------------------------------------

  // A client processes one topic's batch: it must continue exactly where the client is on that
  // topic (the batch of a concurrent poll the client already processed is skipped whole).
  void process(client& c, std::size_t t, const lp::batch& b, lp::cursor next) {
    if (b.empty()) return;
    REQUIRE(c.at[t]);
    REQUIRE(next.epoch == c.at[t]->epoch);
    if (next.offset <= c.at[t]->offset) return;  // a duplicate concurrent answer: already seen
    REQUIRE(b[0].offset() == c.at[t]->offset + 1);
    stats_.processed += b.size();
    c.at[t] = next;
  }

  // An announced reset of one topic: the client resyncs from the head (once, if several of its
  // concurrent polls announce the same reset).
  void apply_reset(client& c, std::size_t t, lp::cursor head) {
    if (c.at[t] && c.at[t]->epoch == head.epoch) {
      REQUIRE(c.at[t]->offset <= head.offset);
      if (c.at[t]->offset == head.offset) return;
    }
    c.at[t] = head;
    ++stats_.resets;
  }

  entry fresh(std::size_t t) {
    const model_topic& m = model_[t];
    switch (pick(3)) {
      case 0:
        return {.topic = t, .from = entry::kind::oldest};
      case 1:
        return {.topic = t, .from = entry::kind::newest};
      default:
        return {.topic = t, .from = entry::kind::from_offset, .first = pick(m.last() + 3)};
    }
  }

  // A cursor the topic cannot honour: past the head, another epoch, or (if anything was
  // evicted) older than retention.
  lp::cursor bad_cursor(std::size_t t) {
    const model_topic& m = model_[t];
    switch (pick(3)) {
      case 0:
        return {m.epoch, m.last() + 1 + pick(3)};
      case 1:
        if (m.first >= 2) return {m.epoch, pick(m.first - 1)};
        [[fallthrough]];
      default:
        return {m.epoch + 1 + pick(3), pick(m.last() + 1)};
    }
  }

  void client_poll(std::size_t ci) {
    client& c = clients_[ci];
    // Usually every subscribed topic, sometimes a subset; always in a random order.
    std::vector<std::size_t> topics = c.topics;
    std::shuffle(topics.begin(), topics.end(), rng_);
    if (topics.size() > 1 && pick(4) == 0) topics.resize(1 + pick(topics.size() - 1));
    std::vector<entry> req;
    for (const std::size_t t : topics)
      req.push_back(c.at[t] ? entry{.topic = t, .from = entry::kind::after, .at = *c.at[t]}
                            : fresh(t));
    if (pick(25) == 0) {
      entry& e = req[pick(req.size())];
      e = {.topic = e.topic, .from = entry::kind::after, .at = bad_cursor(e.topic)};
    }
    const bool with_session = pick(3) != 0;
    // A topic named twice: rejected before the session rule, so nothing is superseded.
    if (pick(40) == 0) req.push_back(req[pick(req.size())]);
    const bool lose_response = pick(10) == 0;
    const lp::millis now = tick();
    const lp::millis timeout{static_cast<lp::millis::rep>(pick(200))};
    const std::uint64_t token = ++token_;
    std::vector<lp::topic_position> also;
    for (std::size_t i = 1; i < req.size(); ++i)
      also.push_back({id(req[i].topic), req[i].position()});
    const lp::poll_request request{
        .topic = id(req[0].topic),
        .from = req[0].position(),
        .also = also,
        .token = token,
        .session = with_session ? std::optional(c.session) : std::nullopt,
        .timeout = timeout};

    if (const auto e = shape_error(req)) {
      const auto r = q_.poll(request, now);
      REQUIRE_FALSE(r.superseded);
      check_result(req, {.error = e, .topic = req[0].topic}, r, timeout);
      return;
    }
    // The session rule comes next.
    std::vector<std::uint64_t> session_parked;
    if (with_session)
      for (const auto& [tok, o] : waiting_)
        if (o.session == c.session) session_parked.push_back(tok);
    std::optional<lp::error> busy;
    if (!session_parked.empty() && policy_ == lp::duplicate_poll::reject_new)
      busy = lp::error::session_busy;
    if (session_parked.size() >= max_session_waiters &&
        policy_ == lp::duplicate_poll::allow_concurrent)
      busy = lp::error::too_many_session_waiters;
    if (busy) {
      ++stats_.busy;
      const auto r = q_.poll(request, now);
      REQUIRE_FALSE(r.superseded);
      check_result(req, {.error = *busy, .topic = req[0].topic}, r, timeout);
      return;
    }
    const bool supersedes = !session_parked.empty() && policy_ == lp::duplicate_poll::supersede;
    // The superseded waiter frees its slot before the new poll is judged.
    const prediction p = predict(req, with_session, q_.waiters() - (supersedes ? 1 : 0));
    const auto r = q_.poll(request, now);
    if (supersedes) {
      REQUIRE(session_parked.size() == 1);
      REQUIRE(r.superseded);
      const auto it = waiting_.find(session_parked[0]);
      REQUIRE(r.superseded->token == session_parked[0]);
      REQUIRE(r.superseded->waiter == it->second.id);
      REQUIRE(r.superseded->reason == lp::completion_reason::superseded);
      REQUIRE_FALSE(q_.is_parked(it->second.id));
      check_unchanged(*r.superseded, it->second);
      waiting_.erase(it);
      ++stats_.superseded;
    } else {
      REQUIRE_FALSE(r.superseded);
    }
    check_result(req, p, r, timeout);
    if (p.error == lp::error::slow_consumer) ++stats_.slow;
    switch (r.status) {
      case lp::poll_status::ready: {
        std::size_t with_messages = 0;
        for (std::size_t i = 0; i < req.size(); ++i)
          with_messages += p.counts[i] != 0;
        if (with_messages >= 2) ++stats_.multi_ready;
        // A lost response: the client keeps every cursor, its next poll gets the same messages.
        if (lose_response) break;
        for (std::size_t i = 0; i < req.size(); ++i) {
          const std::size_t t = req[i].topic;
          if (!c.at[t]) c.at[t] = p.resolved[i];
          const part e = part_of(r, i);
          process(c, t, *e.messages, e.next);
        }
        break;
      }
      case lp::poll_status::parked: {
        outstanding o{ci, r.waiter, {}, r.deadline, request.session};
        for (std::size_t i = 0; i < req.size(); ++i) {
          const std::size_t t = req[i].topic;
          if (!c.at[t]) c.at[t] = p.resolved[i];
          REQUIRE(*c.at[t] == p.resolved[i]);  // only honoured cursors park
          o.at.emplace_back(t, p.resolved[i]);
        }
        REQUIRE(q_.is_parked(r.waiter));
        if (req.size() >= 2) ++stats_.multi_parked;
        if (!session_parked.empty() && !supersedes) ++stats_.concurrent;
        waiting_[token] = o;
        break;
      }
      case lp::poll_status::reset:
        if (p.topic != req[0].topic) ++stats_.later_reset;
        // The announced discontinuity: the client resyncs that topic from its head.
        if (!lose_response) apply_reset(c, p.topic, r.next);
        break;
      case lp::poll_status::rejected:
        break;
    }
  }

  // The client reconnects: its parked polls are cancelled and it subscribes anew.
  void resubscribe(std::size_t ci) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.client == ci) {
        REQUIRE(q_.cancel(it->second.id));
        cancelled_.push_back(it->second.id);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    subscribe(clients_[ci]);
  }

  // A stranger's poll naming any mix of topics, known or not, repeated or not, from any
  // position, valid or not. One that parks is cancelled at once: it never completes.
  void probe() {
    std::vector<std::size_t> all(topic_count);
    for (std::size_t t = 0; t < topic_count; ++t)
      all[t] = t;
    std::shuffle(all.begin(), all.end(), rng_);
    all.resize(1 + pick(topic_count));  // 4 topics are one too many
    if (all.size() > 1 && pick(8) == 0) all[pick(all.size())] = all[0];
    if (pick(16) == 0) all[pick(all.size())] = topic_count + pick(3);
    std::vector<entry> req;
    for (const std::size_t t : all) {
      entry e{.topic = t};
      if (t >= topic_count || pick(3) == 0) {
        e.from = static_cast<entry::kind>(pick(4));
        e.first = t < topic_count ? pick(model_[t].last() + 3) : 0;
      } else {
        e.from = pick(12) == 0 ? entry::kind::malformed : entry::kind::after;
        e.at = {model_[t].epoch, pick(model_[t].last() + 3)};
        if (pick(4) == 0) e.at = bad_cursor(t);
      }
      if (e.from == entry::kind::after && t >= topic_count) e.at = {1, 0};
      req.push_back(e);
    }
    std::vector<lp::topic_position> also;
    for (std::size_t i = 1; i < req.size(); ++i)
      also.push_back({id(req[i].topic), req[i].position()});
    const lp::millis timeout{static_cast<lp::millis::rep>(pick(200))};
    const lp::millis now = tick();
    const std::error_code e = shape_error(req);
    const prediction p =
        e ? prediction{.error = e, .topic = req[0].topic} : predict(req, false, q_.waiters());
    const auto r = q_.poll({.topic = id(req[0].topic),
                            .from = req[0].position(),
                            .also = also,
                            .token = ++token_,
                            .timeout = timeout},
                           now);
    REQUIRE_FALSE(r.superseded);
    check_result(req, p, r, timeout);
    if (r.status == lp::poll_status::parked) {
      REQUIRE(q_.cancel(r.waiter));
      cancelled_.push_back(r.waiter);
    }
  }

  // -- Queue operations ------------------------------------------------------------------------

  void publish() {
    // Topic 3 resets every poll that names it after a publish: one publish in ten goes there.
    const std::size_t t = pick(10) == 0 ? 3 : pick(3);
    // Up to 22 bytes (topic 1 refuses more than 20), one in forty over the queue's limit.
    std::size_t size = pick(14) + (pick(12) == 0 ? 9 : 0);
    if (pick(40) == 0) size = max_message_bytes + 1;
    publish_to(t, std::string(size, static_cast<char>('a' + pick(26))));
  }

  void publish_to(std::size_t t, const std::string& payload) {
    const lp::millis now = tick();
    const auto r = q_.publish(id(t), payload, now, out_);
    if (payload.size() > max_message_bytes || payload.size() > keep[t].max_bytes) {
      REQUIRE(r.error == lg::error::message_too_large);
      REQUIRE(out_.empty());
      return;
    }
    REQUIRE(r);
    model_topic& m = model_[t];
    m.payloads.push_back(payload);
    m.times.push_back(now_);
    m.bytes += payload.size();
    const std::size_t evicted = m.evict(now_);
    REQUIRE(r.at == m.head());
    REQUIRE(r.evicted == evicted);
    // Exactly the topic's waiters, in park order (tokens grow with every poll).
    std::vector<std::uint64_t> expected;
    for (const auto& [token, o] : waiting_)
      for (const auto& [topic, at] : o.at)
        if (topic == t) expected.push_back(token);
    REQUIRE(r.woken == expected.size());
    // Retention may drop the new message at once (topic 3): then the gap is announced.
    if (m.first > m.last()) {
      complete_all(expected, lp::completion_reason::reset, t, lg::error::cursor_too_old);
    } else {
      complete_all(expected, lp::completion_reason::delivered, t, {});
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
    waiting_.erase(it);
  }

  void expire() {
    const lp::millis now = tick();
    std::vector<std::pair<lp::millis, std::uint64_t>> order;
    for (const auto& [token, o] : waiting_)
      if (o.deadline <= now_) order.emplace_back(o.deadline, token);
    std::sort(order.begin(), order.end());  // by deadline, ties in park order
    std::vector<std::uint64_t> expected;
    for (const auto& d : order)
      expected.push_back(d.second);
    REQUIRE(q_.expire(now, out_) == expected.size());
    // Age retention applies after the due waiters completed, against the largest `now`.
    for (auto& m : model_)
      m.evict(now_);
    complete_all(expected, lp::completion_reason::timed_out, 0, {});
  }

  void new_epoch() {
    const std::size_t t = pick(topic_count);
    model_topic& m = model_[t];
    if (pick(10) == 0) {
      REQUIRE(q_.reset_topic(id(topic_count), 77, out_) == lp::error::unknown_topic);
      REQUIRE(out_.empty());
    }
    REQUIRE(q_.reset_topic(id(t), m.epoch, out_) == lg::error::same_epoch);
    REQUIRE(out_.empty());
    std::vector<std::uint64_t> expected;
    for (const auto& [token, o] : waiting_)
      for (const auto& [topic, at] : o.at)
        if (topic == t) expected.push_back(token);
    // Epochs stay distinct across topics.
    REQUIRE_FALSE(q_.reset_topic(id(t), m.epoch + topic_count, out_));
    m = model_topic{.keep = m.keep, .epoch = m.epoch + topic_count};
    complete_all(expected, lp::completion_reason::reset, t, lg::error::epoch_mismatch);
  }

  // Checks that out_ holds exactly the completions of `expected` (tokens, in order) with
  // `reason`, each describing the waiter's topics as the contract says, and hands them to their
  // clients (one in ten is lost on the way). `source`: the publishing or reset topic.
  void complete_all(const std::vector<std::uint64_t>& expected, lp::completion_reason reason,
                    std::size_t source, std::error_code reset) {
    REQUIRE(out_.size() == expected.size());
    for (std::size_t k = 0; k < out_.size(); ++k) {
      const lp::completion& done = out_[k];
      REQUIRE(done.token == expected[k]);
      REQUIRE(done.reason == reason);
      const auto it = waiting_.find(done.token);
      REQUIRE(it != waiting_.end());  // never twice, never after cancel or supersede
      const outstanding o = it->second;
      waiting_.erase(it);
      REQUIRE(done.waiter == o.id);
      REQUIRE_FALSE(q_.is_parked(o.id));
      client& c = clients_[o.client];
      const bool lost = pick(10) == 0;
      switch (reason) {
        case lp::completion_reason::delivered:
          // The batch is in the publishing topic's entry; every other entry is unchanged.
          REQUIRE_FALSE(done.reset);
          REQUIRE(done.also.size() == o.at.size() - 1);
          for (std::size_t i = 0; i < o.at.size(); ++i) {
            const part e = part_of(done, i);
            const auto [t, at] = o.at[i];
            REQUIRE(e.topic == id(t));
            if (t == source) {
              check_batch(t, at, *e.messages, e.next);
              if (i != 0) ++stats_.later_delivery;
            } else {
              REQUIRE(e.messages->empty());
              REQUIRE(e.next == at);
            }
            if (!lost) process(c, t, *e.messages, e.next);
          }
          break;
        case lp::completion_reason::timed_out:
          REQUIRE(o.deadline <= now_);
          check_unchanged(done, o);
          ++stats_.timed_out;
          break;
        case lp::completion_reason::superseded:
          FAIL("a superseded waiter is returned by poll(), not in a batch of completions");
          break;
        case lp::completion_reason::reset:
          REQUIRE(done.topic == id(source));
          REQUIRE(done.reset == reset);
          REQUIRE(done.next == model_[source].head());
          REQUIRE(done.messages.empty());
          REQUIRE(done.also.empty());
          if (reset == lg::error::cursor_too_old) ++stats_.evicted_at_once;
          if (!lost) apply_reset(c, source, done.next);
          break;
      }
    }
    out_.clear();
  }

  void check_global() {
    REQUIRE(q_.waiters() == waiting_.size());
    std::array<std::size_t, topic_count> per_topic{};
    std::vector<std::uint64_t> sessions;
    for (const auto& [token, o] : waiting_) {
      REQUIRE(q_.is_parked(o.id));
      for (const auto& [t, at] : o.at) {
        ++per_topic[t];
        // A parked waiter sits at its topic's head (otherwise it would have been answered).
        REQUIRE(at == model_[t].head());
      }
      if (o.session && std::find(sessions.begin(), sessions.end(), *o.session) == sessions.end())
        sessions.push_back(*o.session);
    }
    for (std::size_t t = 0; t < topic_count; ++t)
      REQUIRE(q_.waiters(id(t)) == per_topic[t]);
    REQUIRE(q_.waiters(id(topic_count)) == 0);
    REQUIRE(q_.sessions() == sessions.size());
    for (const auto& w : cancelled_)
      REQUIRE_FALSE(q_.is_parked(w));
    if (cancelled_.size() > 64) cancelled_.erase(cancelled_.begin(), cancelled_.begin() + 32);
    for (std::size_t t = 0; t < topic_count; ++t) {
      const auto* log = q_.topic_log(id(t));
      REQUIRE(q_.head(id(t)) == model_[t].head());
      REQUIRE(log->head() == model_[t].head());
      REQUIRE(log->first_offset() == model_[t].first);
      REQUIRE(log->bytes() == model_[t].bytes);
    }
    // next_deadline(): the earliest parked deadline or age eviction.
    std::optional<lp::millis> want;
    for (const auto& [token, o] : waiting_)
      if (!want || o.deadline < *want) want = o.deadline;
    for (const auto& m : model_) {
      if (m.keep.max_age.count() <= 0 || m.first > m.last()) continue;
      const lp::millis due = m.times[m.first - 1] + m.keep.max_age + 1ms;
      if (!want || due < *want) want = due;
    }
    REQUIRE(q_.next_deadline() == want);
    // Parking, completing and cancelling leave the queue's own memory where the warm-up put it.
    REQUIRE(own_memory() == baseline_);
  }

  std::mt19937_64 rng_;
  lp::queue q_;
  lp::duplicate_poll policy_;
  lp::slow_consumer_policy slow_;
  std::vector<lp::topic_id> topics_;
  std::array<model_topic, topic_count> model_;
  std::vector<client> clients_;
  std::map<std::uint64_t, outstanding> waiting_;  // by token = park order
  std::vector<lp::waiter_id> cancelled_;
  std::vector<lp::completion> out_;
  std::uint64_t token_ = 0;
  lp::millis now_{0};
  std::size_t baseline_ = 0;
  stats stats_;
};

}  // namespace

// Readable expansions of failed comparisons.
template <>
struct Catch::StringMaker<lp::cursor> {
  static std::string convert(const lp::cursor& c) { return lg::to_string(c); }
};
template <>
struct Catch::StringMaker<lp::topic_id> {
  static std::string convert(lp::topic_id t) { return "topic " + std::to_string(t.value); }
};

TEST_CASE("multi-topic model: 10^5 random steps per duplicate-poll policy",
          "[longpoll][multi][model]") {
  const std::uint64_t seed = seed_from_env();
  for (const auto policy : {lp::duplicate_poll::supersede, lp::duplicate_poll::reject_new,
                            lp::duplicate_poll::allow_concurrent}) {
    // One run also rejects slow consumers instead of resetting them.
    const auto slow = policy == lp::duplicate_poll::reject_new ? lp::slow_consumer_policy::reject
                                                               : lp::slow_consumer_policy::reset;
    INFO("seed " << seed << ", policy " << static_cast<int>(policy));
    harness h(policy, slow, seed + static_cast<std::uint64_t>(policy));
    for (int i = 0; i < 100'000; ++i) {
      INFO("step " << i);
      h.step();
    }
    // The run reached every branch it claims to check.
    const stats& s = h.counts();
    CHECK(s.processed > 10'000);
    CHECK(s.resets > 100);
    CHECK(s.multi_ready > 100);
    CHECK(s.multi_parked > 100);
    CHECK(s.later_delivery > 100);
    CHECK(s.later_reset > 10);
    CHECK(s.evicted_at_once > 10);
    CHECK(s.slow > 10);
    CHECK(s.timed_out > 100);
    if (policy == lp::duplicate_poll::supersede) CHECK(s.superseded > 100);
    if (policy != lp::duplicate_poll::supersede) CHECK(s.busy > 100);
    if (policy == lp::duplicate_poll::allow_concurrent) CHECK(s.concurrent > 100);
  }
}
