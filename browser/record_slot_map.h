// RecordSlotMap: owns the pending deferred fetch records and names each by a
// DeferredFetchId that encodes its slot (index and generation), so finding a
// record by id is one array access and queueing one reuses the most recently
// freed slot (still in cache) instead of inserting at a random position of a
// hash table. An id is never reused: a slot's generation changes every time it
// is freed. Not thread-safe (FrameTree's lock guards it).
#ifndef BROWSER_RECORD_SLOT_MAP_H_
#define BROWSER_RECORD_SLOT_MAP_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "browser/frame_tree_nodes.h"
#include "browser/typed_id.h"

namespace fetch_later::browser {

class RecordSlotMap {
 public:
  // The id the next Insert() will give its record.
  DeferredFetchId NextId() const {
    if (free_head_ != kNone)
      return MakeId(free_head_, slots_[free_head_].generation);
    return MakeId(static_cast<uint32_t>(slots_.size()),
                  next_generation_for_testing_);
  }

  // Takes `record`, whose id must be NextId().
  DeferredFetchRecord* Insert(std::unique_ptr<DeferredFetchRecord> record) {
    uint32_t index;
    if (free_head_ != kNone) {
      index = free_head_;
      free_head_ = slots_[index].next_free;
    } else {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
      slots_.back().generation = next_generation_for_testing_;
    }
    slots_[index].record = std::move(record);
    ++size_;
    return slots_[index].record.get();
  }

  // The pending record named `id`, or null.
  DeferredFetchRecord* Find(DeferredFetchId id) const {
    const uint64_t value = id.value();
    if (value == 0)
      return nullptr;
    const uint32_t index = static_cast<uint32_t>(value & 0xffffffff) - 1;
    const uint32_t generation = static_cast<uint32_t>(value >> 32);
    if (index >= slots_.size() || slots_[index].generation != generation)
      return nullptr;
    return slots_[index].record.get();
  }

  // Destroys the record named `id` (which must exist) and frees its slot. A
  // slot whose generation has reached kMaxGeneration is retired instead (its
  // ids are used up).
  void Erase(DeferredFetchId id) {
    const uint32_t index = static_cast<uint32_t>(id.value() & 0xffffffff) - 1;
    Slot& slot = slots_[index];
    slot.record.reset();
    --size_;
    if (slot.generation == kMaxGeneration)
      return;
    ++slot.generation;
    slot.next_free = free_head_;
    free_head_ = index;
  }

  size_t size() const { return size_; }

  // Generations stay at most this, so no id has its top bit set: the network
  // stage's ids with it are fetch() requests' (FetchRecords::kRequestIdBit).
  static constexpr uint32_t kMaxGeneration = 0x7fffffff;

  // For testing only: the next Insert() into a fresh slot starts it at
  // `generation` (at most kMaxGeneration).
  void SetNextGenerationForTesting(uint32_t generation) {
    next_generation_for_testing_ = generation;
  }

 private:
  static constexpr uint32_t kNone = 0xffffffff;
  struct Slot {
    std::unique_ptr<DeferredFetchRecord> record;
    uint32_t generation = 0;
    uint32_t next_free = kNone;
  };
  // Index + 1 in the low half (so no id is 0, the null id), generation in the
  // high half.
  static DeferredFetchId MakeId(uint32_t index, uint32_t generation) {
    return DeferredFetchId((static_cast<uint64_t>(generation) << 32) |
                           (index + 1));
  }

  std::vector<Slot> slots_;
  uint32_t free_head_ = kNone;
  size_t size_ = 0;
  uint32_t next_generation_for_testing_ = 0;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_RECORD_SLOT_MAP_H_
