#include "node/sync_session.h"

#include <algorithm>

#include "node/identity.h"

namespace kongsi::node {
namespace {

std::string Short(const std::string& raw_node_id) { return NodeIdText(raw_node_id).substr(0, 8); }

// A peer's Error text reaches logs, `peer list` and the console: at most
// 1 KiB, control characters (terminal escapes) replaced by '?'.
std::string PrintableText(const std::string& peer_text) {
  std::string out = peer_text.substr(0, 1024);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

SyncSession::SyncSession(Node& node, std::string peer_id, SyncOptions options, SyncTransport& out)
    : node_(node), peer_id_(std::move(peer_id)), options_(std::move(options)), out_(out) {}

void SyncSession::Start() {
  v1::Envelope env;
  v1::Hello* hello = env.mutable_hello();
  hello->set_protocol_version(kProtocolVersion);
  hello->set_node_id(node_.identity().node_id());
  hello->set_name(options_.local_name);
  hello->set_max_frame_bytes(kMaxFrameBytes);
  hello->set_initial_credit(kInitialCreditBytes);
  window_ = kInitialCreditBytes;
  Send(env);
}

void SyncSession::Send(const v1::Envelope& env) {
  if (closed_) return;
  std::string frame = env.SerializeAsString();
  ++stats_.frames_out;
  stats_.bytes_out += frame.size();
  out_.Send(std::move(frame));
}

void SyncSession::Fail(uint16_t code, const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  out_.Close(code, reason);
}

void SyncSession::SendError(v1::Error::Code code, const std::string& message, const std::string& coll,
                            const std::string& author, uint64_t seq) {
  v1::Envelope env;
  v1::Error* e = env.mutable_error();
  e->set_code(code);
  e->set_message(message);
  e->set_collection(coll);
  e->set_author(author);
  e->set_seq(seq);
  stats_.last_error_sent = message;
  Send(env);
}

void SyncSession::OnFrame(std::string_view frame) {
  if (closed_) return;
  ++stats_.frames_in;
  stats_.bytes_in += frame.size();
  v1::Envelope env;
  if (!env.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    return Fail(kCloseProtocolError, "frame does not decode as a kongsi.v1.Envelope");
  }
  if (!hello_received_ && !env.has_hello()) {
    return Fail(kCloseProtocolError, "the first message must be Hello");
  }
  switch (env.body_case()) {
    case v1::Envelope::kHello: return OnHello(env.hello());
    case v1::Envelope::kHave: return OnHave(env.have());
    case v1::Envelope::kCommits: {
      uint64_t payload = 0;
      for (const auto& sc : env.commits().commits()) payload += sc.ByteSizeLong();
      return OnCommits(env.commits(), payload);
    }
    case v1::Envelope::kCredit: return OnCredit(env.credit());
    case v1::Envelope::kError: return OnError(env.error());
    case v1::Envelope::kPing: return OnPing(env.ping());
    case v1::Envelope::BODY_NOT_SET: break;
  }
  Fail(kCloseProtocolError, "empty or unknown message");
}

void SyncSession::OnHello(const v1::Hello& hello) {
  if (hello_received_) return Fail(kCloseProtocolError, "second Hello");
  if (hello.protocol_version() != kProtocolVersion) {
    return Fail(kCloseProtocolError, "unsupported protocol version " + std::to_string(hello.protocol_version()) +
                                         " (this node speaks " + std::to_string(kProtocolVersion) + ")");
  }
  if (hello.node_id() != peer_id_) {
    return Fail(kClosePolicyViolation, "Hello names a node ID that is not the one of the TLS certificate");
  }
  // A window smaller than one commit could never carry the largest commit.
  if (hello.initial_credit() < kMaxCommitBytes) {
    return Fail(kCloseProtocolError, "initial credit " + std::to_string(hello.initial_credit()) +
                                         " is below the largest commit (" + std::to_string(kMaxCommitBytes) +
                                         " bytes, kMaxCommitBytes)");
  }
  hello_received_ = true;
  peer_name_ = hello.name().substr(0, 256);
  credit_ = hello.initial_credit();
  Refresh();
}

void SyncSession::OnHave(const v1::Have& have) {
  const std::string& coll = have.collection();
  if (coll.size() != 16) return Fail(kCloseProtocolError, "Have names a collection ID that is not 16 bytes");
  // A Have subscribes the peer to our commits of the collection: now if we
  // hold it, later if we join it. Even when the peer may not read it (yet):
  // Pump checks the role before every batch, so a later Grant starts the
  // stream and a Revoke stops it.
  if (!views_.count(coll) && views_.size() >= kMaxPeerCollections) {
    return Fail(kClosePolicyViolation, "Have for more than " + std::to_string(kMaxPeerCollections) +
                                           " collections in one session (kMaxPeerCollections)");
  }
  // A repeated Have keeps the cursor: everything before it was sent or is
  // in the peer's VV, which only grows, so a rescan from 0 would find
  // nothing new and a flood of Haves would cost a log scan each.
  PeerView& view = views_[coll];
  view.vv.MergeFrom(VersionVector::FromProto(have.vv()));
  view.subscribed = true;
  if (node_.Holds(coll)) {
    if (!PeerMayRead(coll)) return TellNotReader(coll);
    if (!announced_.count(coll)) Announce(coll);
    Pump();
    return;
  }
  if (node_.Wants(coll)) {
    if (!announced_.count(coll)) Announce(coll);
    return;
  }
  (void)node_.RecordInvite(coll, have.name(), peer_id_);
  if (options_.auto_join && node_.Join(HexId(coll)).ok()) Announce(coll);
}

void SyncSession::OnCommits(const v1::Commits& commits, uint64_t payload_bytes) {
  if (payload_bytes > window_) {
    return Fail(kClosePolicyViolation, "peer sent " + std::to_string(payload_bytes) +
                                           " bytes of commits with only " + std::to_string(window_) +
                                           " bytes of credit");
  }
  window_ -= payload_bytes;
  const std::string& coll = commits.collection();
  if (!announced_.count(coll)) {
    stats_.commits_rejected += commits.commits_size();
    SendError(v1::Error::CODE_FORBIDDEN,
              "commits of collection " + HexId(coll) + " were not asked for; nothing of them was stored", coll);
  } else {
    stats_.refused.erase(coll);  // granted again: its commits flow
    PeerView& view = views_[coll];
    for (const auto& sc : commits.commits()) {
      ++stats_.commits_received;
      ReceiveOutcome out = node_.Receive(sc.SerializeAsString(), coll);
      switch (out.status) {
        case ReceiveStatus::kApplied:
        case ReceiveStatus::kInvalid:  // stored, judged invalid (a cut): the peer has it all the same
        case ReceiveStatus::kDuplicate:
        case ReceiveStatus::kPending:
          if (out.status == ReceiveStatus::kDuplicate) ++stats_.commits_duplicate;
          if (out.status == ReceiveStatus::kPending) ++stats_.commits_pending;
          stats_.commits_applied += out.applied.size();
          // The peer has it: never echo it back.
          if (view.vv.Get(out.author) < out.seq && out.status != ReceiveStatus::kPending) {
            view.vv.Set(out.author, out.seq);
          }
          break;
        case ReceiveStatus::kEquivocation:
          ++stats_.commits_rejected;
          SendError(v1::Error::CODE_EQUIVOCATION, out.reason, coll, out.author, out.seq);
          break;
        default:
          ++stats_.commits_rejected;
          SendError(v1::Error::CODE_INVALID_COMMIT, out.reason, coll, out.author, out.seq);
          break;
      }
    }
  }
  window_ += payload_bytes;
  if (payload_bytes > 0) {
    v1::Envelope env;
    env.mutable_credit()->set_bytes(payload_bytes);
    Send(env);
  }
}

void SyncSession::OnCredit(const v1::Credit& credit) {
  // Never more than the window the peer opened in Hello plus what we sent:
  // a peer cannot make us buffer more by inflating credit, since we read
  // commits lazily from RocksDB; just guard the arithmetic.
  credit_ = std::min<uint64_t>(credit_ + credit.bytes(), uint64_t{1} << 40);
  Pump();
}

void SyncSession::OnError(const v1::Error& error) {
  ++stats_.errors_received;
  stats_.last_error_received = PrintableText(error.message());
  if (error.code() == v1::Error::CODE_FORBIDDEN && announced_.count(error.collection())) {
    stats_.refused[error.collection()] = stats_.last_error_received;
  }
}

void SyncSession::OnPing(const v1::Ping& ping) {
  if (ping.pong()) return;
  v1::Envelope env;
  env.mutable_ping()->set_nonce(ping.nonce());
  env.mutable_ping()->set_pong(true);
  Send(env);
}

void SyncSession::TellNotReader(const std::string& coll) {
  if (!told_not_reader_.insert(coll).second) return;
  SendError(v1::Error::CODE_FORBIDDEN,
            "node " + Short(peer_id_) + " is not a reader of collection " + HexId(coll) + " here",
            coll);
}

bool SyncSession::PeerMayRead(const std::string& coll) const {
  return node_.CurrentRole(coll, peer_id_) >= v1::ROLE_READER;
}

void SyncSession::Announce(const std::string& coll) {
  v1::Envelope env;
  v1::Have* have = env.mutable_have();
  have->set_collection(coll);
  *have->mutable_vv() = node_.Version(coll).ToProto();
  auto held = node_.Collection(coll);
  if (held.ok()) have->set_name(held->info.name());
  announced_.insert(coll);
  Send(env);
}

void SyncSession::OnCommitApplied(const std::string& coll) {
  if (closed_ || !hello_received_) return;
  // A Grant or Revoke may have changed what the peer may read (Pump checks
  // it before every batch), and a genesis may have turned a wanted
  // collection into a held one.
  auto it = views_.find(coll);
  const bool subscribed = it != views_.end() && it->second.subscribed;
  if (!PeerMayRead(coll)) {
    // Revoked while we streamed to it: say so once, or its node could only
    // guess why nothing more comes. The Error holds none of the data.
    if (subscribed && node_.Holds(coll)) TellNotReader(coll);
    return;
  }
  told_not_reader_.erase(coll);
  if (!announced_.count(coll)) Announce(coll);
  if (subscribed) Pump();
}

void SyncSession::Refresh() {
  if (closed_ || !hello_received_) return;
  for (const auto& info : node_.ListCollections()) {
    if (info.joined() && !announced_.count(info.id()) && PeerMayRead(info.id())) Announce(info.id());
  }
  // Invitations accepted since the peer announced them.
  for (const auto& [coll, view] : views_) {
    if (!announced_.count(coll) && !node_.Holds(coll) && node_.Wants(coll)) Announce(coll);
  }
  Pump();
}

bool SyncSession::PumpCollection(const std::string& coll, PeerView& view) {
  const PeerView before = view;
  v1::Envelope env;
  v1::Commits* batch = env.mutable_commits();
  batch->set_collection(coll);
  uint64_t bytes = 0;
  Status failure;
  Status s = node_.ForEachChangeEntry(coll, view.cursor, [&](uint64_t pos, const std::string& author, uint64_t seq) {
    if (view.vv.Includes(author, seq)) {
      view.cursor = pos;
      return true;
    }
    auto stored = node_.GetCommit(coll, author, seq);
    if (!stored.ok()) {
      failure = stored.status();
      return false;
    }
    uint64_t n = stored->signed_().size();
    if (n > credit_ - bytes || (bytes > 0 && bytes + n > kBatchBytes)) return false;
    if (!batch->add_commits()->ParseFromString(stored->signed_())) {
      failure = Status::Corruption("stored commit does not decode");
      return false;
    }
    bytes += n;
    view.cursor = pos;
    view.vv.Set(author, seq);
    return true;
  });
  if (!s.ok() || !failure.ok()) {
    Fail(kCloseInternalError, "this node could not read its log: " + (failure.ok() ? s : failure).ToString());
    return false;
  }
  if (batch->commits_size() == 0) return false;
  // Checked again after reading the log: a Revoke applied while we read it
  // (perhaps in this very batch) must stop this batch, not the next one.
  // Node updates the ACL under the lock it holds while writing the log, so
  // a role read now reflects every commit the batch holds.
  if (!PeerMayRead(coll)) {
    view = before;
    return false;
  }
  credit_ -= bytes;
  stats_.commits_sent += batch->commits_size();
  Send(env);
  return true;
}

void SyncSession::Pump() {
  if (closed_ || !hello_received_) return;
  bool progress = true;
  while (progress && credit_ > 0 && !closed_) {
    progress = false;
    for (auto& [coll, view] : views_) {
      if (!view.subscribed || !announced_.count(coll)) continue;
      if (!PeerMayRead(coll)) continue;
      progress |= PumpCollection(coll, view);
    }
  }
}

std::optional<uint64_t> SyncSession::Behind(const std::string& coll) const {
  auto it = views_.find(coll);
  if (it == views_.end() || !it->second.subscribed) return std::nullopt;
  uint64_t behind = 0;
  const VersionVector ours = node_.Version(coll);
  for (const auto& [author, seq] : ours.entries()) {
    uint64_t theirs = it->second.vv.Get(author);
    if (seq > theirs) behind += seq - theirs;
  }
  return behind;
}

std::optional<uint64_t> SyncSession::Ahead(const std::string& coll) const {
  auto it = views_.find(coll);
  if (it == views_.end()) return std::nullopt;
  uint64_t ahead = 0;
  const VersionVector ours = node_.Version(coll);
  for (const auto& [author, seq] : it->second.vv.entries()) {
    uint64_t have = ours.Get(author);
    if (seq > have) ahead += seq - have;
  }
  return ahead;
}

std::map<std::string, VersionVector> SyncSession::PeerVersions() const {
  std::map<std::string, VersionVector> out;
  for (const auto& [coll, view] : views_) out[coll] = view.vv;
  return out;
}

}  // namespace kongsi::node
