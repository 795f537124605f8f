// rtwire — STUN (RFC 8489): message view and parser, typed attributes, writer, integrity and
// fingerprint, RFC 7983 demultiplexing, the stream framer, and the Binding and ICE responders.
#pragma once

#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/binding.hpp"
#include "rtwire/stun/demux.hpp"
#include "rtwire/stun/error.hpp"
#include "rtwire/stun/framer.hpp"
#include "rtwire/stun/ice.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/stun/registry.hpp"
#include "rtwire/stun/writer.hpp"
