// lws_echo_server: the peer of examples/ws_echo_server for bench/e2e/run.sh, written with
// libwebsockets (its own event loop, one thread). Every text and binary message is echoed
// whole with its kind: fragments are gathered per connection, whole messages are queued and
// written one per writable callback (libwebsockets' rule: one lws_write per
// LWS_CALLBACK_SERVER_WRITEABLE). permessage-deflate is not offered.
//
//   lws_echo_server [--port 9003]
//
// Prints "listening on 127.0.0.1:PORT" on stderr. Not part of the library.
#include <libwebsockets.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct message {
  std::vector<unsigned char> bytes;  // LWS_PRE bytes of headroom, then the payload
  bool binary = false;
};

struct session {
  std::string partial;
  std::deque<message> out;
};

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* s = static_cast<session*>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      new (s) session();
      break;
    case LWS_CALLBACK_CLOSED:
      s->~session();
      break;
    case LWS_CALLBACK_RECEIVE: {
      s->partial.append(static_cast<const char*>(in), len);
      if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) break;
      message m;
      m.bytes.resize(LWS_PRE + s->partial.size());
      std::memcpy(m.bytes.data() + LWS_PRE, s->partial.data(), s->partial.size());
      m.binary = lws_frame_is_binary(wsi) != 0;
      s->partial.clear();
      s->out.push_back(std::move(m));
      lws_callback_on_writable(wsi);
      break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (s->out.empty()) break;
      message& m = s->out.front();
      const size_t n = m.bytes.size() - LWS_PRE;
      if (lws_write(wsi, m.bytes.data() + LWS_PRE, n,
                    m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < static_cast<int>(n))
        return -1;
      s->out.pop_front();
      if (!s->out.empty()) lws_callback_on_writable(wsi);
      break;
    }
    default:
      break;
  }
  return 0;
}

const lws_protocols protocols[] = {
    {"echo", callback, sizeof(session), 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

volatile std::sig_atomic_t interrupted = 0;

}  // namespace

int main(int argc, char** argv) {
  int port = 9003;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string_view(argv[i]) == "--port") {
      port = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: lws_echo_server [--port P]\n");
      return 2;
    }
  }
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = port;
  info.iface = "127.0.0.1";
  info.protocols = protocols;    // the first protocol also serves clients that name none
  info.fd_limit_per_thread = 0;  // as many as RLIMIT_NOFILE allows
  lws_context* context = lws_create_context(&info);
  if (!context) {
    std::fprintf(stderr, "lws_echo_server: lws_create_context failed\n");
    return 1;
  }
  std::fprintf(stderr, "listening on 127.0.0.1:%d\n", port);
  while (!interrupted && lws_service(context, 0) >= 0) {
  }
  lws_context_destroy(context);
  return 0;
}
