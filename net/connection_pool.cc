#include "net/connection_pool.h"

#include <algorithm>
#include <utility>

namespace fetch_later::net {

ConnectionPool::ConnectionPool(PoolKey key, size_t max_connections)
    : key_(std::move(key)), max_connections_(max_connections) {}

ConnectionPool::~ConnectionPool() = default;

bool ConnectionPool::AtCapacity() const {
  return connections_.size() >= max_connections_;
}

HttpsConnection* ConnectionPool::FindIdle() const {
  for (const auto& connection : connections_) {
    if (connection->idle())
      return connection.get();
  }
  return nullptr;
}

HttpsConnection* ConnectionPool::Add(
    std::unique_ptr<HttpsConnection> connection) {
  connections_.push_back(std::move(connection));
  return connections_.back().get();
}

void ConnectionPool::Remove(HttpsConnection* connection, EventLoop* loop) {
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->get() != connection)
      continue;
    std::shared_ptr<HttpsConnection> doomed(std::move(*it));
    connections_.erase(it);
    doomed->Close();
    // Destroyed in a later task: we may be inside one of its callbacks.
    loop->PostTask([doomed] {});
    return;
  }
}

std::optional<uint64_t> ConnectionPool::PopQueued() {
  if (queue_.empty())
    return std::nullopt;
  const uint64_t seq = queue_.front();
  queue_.pop_front();
  return seq;
}

void ConnectionPool::Dequeue(uint64_t job_seq) {
  queue_.erase(std::remove(queue_.begin(), queue_.end(), job_seq),
               queue_.end());
}

}  // namespace fetch_later::net
