// One connection pool of the HTTPS network stage: the HTTP/1.1 keep-alive
// connections for one (scheme, host, port, network isolation key) and the
// FIFO queue of requests waiting for one of them, with the per-pool cap.
//
//   ConnectionPool pool(key, /*max_connections=*/6);
//   if (HttpsConnection* idle = pool.FindIdle()) { ... reuse it ... }
//   else if (!pool.AtCapacity())
//   pool.Add(std::make_unique<HttpsConnection>(...)); else
//   pool.Enqueue(job_seq);
//
// Created by the stage's shard (net/https_stage_shard.h) when a pool is first
// used and kept until the stage is destroyed; owns its connections. Used only
// on the event loop that owns it (the shard's), so it has no lock.
#ifndef NET_CONNECTION_POOL_H_
#define NET_CONNECTION_POOL_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "net/event_loop.h"
#include "net/https_connection.h"
#include "net/pool_key.h"

namespace fetch_later::net {

class ConnectionPool {
 public:
  ConnectionPool(PoolKey key, size_t max_connections);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;  // Not copyable.
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  const PoolKey& key() const { return key_; }
  size_t connection_count() const { return connections_.size(); }
  // Whether the pool has its `max_connections` (a new request must queue
  // unless one is idle).
  bool AtCapacity() const;
  // An open connection with no request on it, or null.
  HttpsConnection* FindIdle() const;
  // Takes `connection`; returns it.
  HttpsConnection* Add(std::unique_ptr<HttpsConnection> connection);
  // Closes `connection` and drops it from the pool; it is destroyed in a later
  // task of `loop` (the caller may be inside one of its callbacks). No-op if
  // it is not in the pool.
  void Remove(HttpsConnection* connection, EventLoop* loop);

  // The FIFO queue of requests (the stage's job numbers) waiting for a
  // connection.
  void Enqueue(uint64_t job_seq) { queue_.push_back(job_seq); }
  // The oldest queued request, removed from the queue; nullopt when empty.
  std::optional<uint64_t> PopQueued();
  // Drops `job_seq` from the queue (its attempt ended while it waited).
  void Dequeue(uint64_t job_seq);
  bool HasQueued() const { return !queue_.empty(); }

 private:
  const PoolKey key_;
  const size_t max_connections_;
  std::vector<std::unique_ptr<HttpsConnection>> connections_;
  std::deque<uint64_t> queue_;
};

}  // namespace fetch_later::net

#endif  // NET_CONNECTION_POOL_H_
