// chat: the page's files, from --web-root (no CDN, no build step). GET / serves index.html.
// Only plain names ([A-Za-z0-9_.-] segments, none starting with '.') below the root are served,
// at most 8 MiB each.
#include <fstream>
#include <sstream>

#include "server.hpp"

namespace chat {
namespace {

bool safe_path(std::string_view p) {
  if (p.empty() || p.front() != '/') return false;
  std::size_t seg_start = 1;
  for (std::size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '/') {
      if (i == seg_start || p[seg_start] == '.') return false;  // empty, ".", "..", dotfiles
      seg_start = i + 1;
      continue;
    }
    const char c = p[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string_view content_type(std::string_view path) {
  const auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

}  // namespace

void server::serve_static(const session_ptr& http) {
  const std::string path = http->req().path == "/" ? "/index.html" : http->req().path;
  if (!safe_path(path)) return http->respond_text(404, "not found");
  std::ifstream in(settings_.web_root + path, std::ios::binary);
  if (!in) return http->respond_text(404, "not found");
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size < 0 || size > (std::streamoff{8} << 20)) return http->respond_text(404, "not found");
  in.seekg(0);
  std::string body(static_cast<std::size_t>(size), '\0');
  in.read(body.data(), size);
  if (!in) return http->respond_text(500, "cannot read the file");
  http->respond(200, content_type(path), body);
}

}  // namespace chat
