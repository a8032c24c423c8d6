// Arena options for messages of one commit's size.
#pragma once

#include <google/protobuf/arena.h>

namespace kongsi::node {

// For the arenas that hold one commit's ops or touched records (megabytes
// for a commit of kChainOpsPerCommit ops): blocks up to 1 MiB cost a few
// hundred allocations instead of thousands, and being past glibc's initial
// mmap threshold (128 KiB), they tend to go back to the OS when freed
// instead of staying in the heap.
inline google::protobuf::ArenaOptions LargeArenaBlocks() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 * 1024;
  options.max_block_size = 1024 * 1024;
  return options;
}

}  // namespace kongsi::node
