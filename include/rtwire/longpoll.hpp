// rtwire — long polling: everything a long-poll user needs, in one include.
//   core/log.hpp        the message log (topics, epochs, cursors, retention, message_ref)
//   longpoll/queue.hpp  the queue: parked polls, wake on publish, deadlines, sessions, resets
#pragma once

#include "rtwire/core/log.hpp"
#include "rtwire/longpoll/queue.hpp"
