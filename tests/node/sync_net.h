// An in-memory network of SyncSessions for node-level replication tests:
// frames travel through queues instead of sockets, and commit notifications
// are deferred the way the server's strands defer them (never re-entrant).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kongsi/v1/sync.pb.h"
#include "node/node.h"
#include "node/sync_session.h"

namespace kongsi::node::testing {

// One direction of a link: what a session sent, not yet delivered.
class Pipe : public SyncTransport {
 public:
  void Send(std::string frame) override { frames.push_back(std::move(frame)); }
  void Close(uint16_t c, std::string r) override {
    closed = true;
    code = c;
    reason = std::move(r);
  }
  std::deque<std::string> frames;
  bool closed = false;
  uint16_t code = 0;
  std::string reason;
};

// Two nodes connected both ways.
struct Link {
  Link(Node& a_node, Node& b_node, SyncOptions a_options, SyncOptions b_options)
      : a(&a_node), b(&b_node),
        at_a(a_node, b_node.identity().node_id(), std::move(a_options), a_out),
        at_b(b_node, a_node.identity().node_id(), std::move(b_options), b_out) {}
  Node* a;
  Node* b;
  Pipe a_out;  // frames from a's session, to be read by b's
  Pipe b_out;
  SyncSession at_a;
  SyncSession at_b;
  bool up = true;
  // Every Envelope b received from a, decoded (a recording peer).
  std::vector<v1::Envelope> seen_by_b;
};

class SyncNet {
 public:
  // Nodes must outlive the net; each is watched once.
  void Watch(Node& node) {
    node.AddCommitListener([this, n = &node](const AppliedCommit& c) { notes_.emplace_back(n, c.collection); });
  }

  Link& Connect(Node& a, Node& b, SyncOptions a_options = {}, SyncOptions b_options = {}) {
    links_.push_back(std::make_unique<Link>(a, b, std::move(a_options), std::move(b_options)));
    Link& l = *links_.back();
    l.at_a.Start();
    l.at_b.Start();
    return l;
  }

  // Drops a link: frames in flight are lost, as on a cut TCP connection.
  void Cut(Link& l) {
    l.up = false;
    l.a_out.frames.clear();
    l.b_out.frames.clear();
  }

  // Delivers frames and notifications until nothing moves, or `max_frames`.
  // Returns the number of frames delivered.
  size_t Run(size_t max_frames = 1'000'000) {
    size_t delivered = 0;
    bool moved = true;
    while (moved && delivered < max_frames) {
      moved = false;
      while (!notes_.empty()) {
        auto [node, coll] = notes_.front();
        notes_.pop_front();
        for (auto& l : links_) {
          if (!l->up) continue;
          if (l->a == node) l->at_a.OnCommitApplied(coll);
          if (l->b == node) l->at_b.OnCommitApplied(coll);
        }
        moved = true;
      }
      for (auto& l : links_) {
        if (!l->up) continue;
        if (l->a_out.closed || l->b_out.closed) continue;
        if (!l->a_out.frames.empty() && delivered < max_frames) {
          std::string f = std::move(l->a_out.frames.front());
          l->a_out.frames.pop_front();
          v1::Envelope env;
          if (env.ParseFromString(f)) l->seen_by_b.push_back(env);
          l->at_b.OnFrame(f);
          ++delivered;
          moved = true;
        }
        if (!l->b_out.frames.empty() && delivered < max_frames) {
          std::string f = std::move(l->b_out.frames.front());
          l->b_out.frames.pop_front();
          l->at_a.OnFrame(f);
          ++delivered;
          moved = true;
        }
      }
    }
    return delivered;
  }

  // Refresh every live session (what the server does on a timer).
  void RefreshAll() {
    for (auto& l : links_) {
      if (!l->up) continue;
      l->at_a.Refresh();
      l->at_b.Refresh();
    }
  }

 private:
  std::deque<std::pair<Node*, std::string>> notes_;
  std::vector<std::unique_ptr<Link>> links_;
};

}  // namespace kongsi::node::testing
