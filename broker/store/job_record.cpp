#include "broker/store/job_record.hpp"

namespace broker::store {

std::string_view to_string(outbox_op op) {
    return op == outbox_op::create ? "create" : "delete";
}

}  // namespace broker::store
