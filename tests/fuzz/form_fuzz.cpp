// libFuzzer target: the job form from arbitrary bytes. Whatever the input, parsing returns a
// value or an error (never throws, never overflows the stack); an accepted form serialises
// (valid UTF-8) and parses back to an equal form.
#include "propagation/form/job_form.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace form = propagation::form;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto f = form::parse_job_form_text(text);
    if (!f) {
        const propagation::error e = f.error();
        if (e.code == propagation::errc::invalid && e.causes.empty()) {
            __builtin_trap();  // an invalid form always says why
        }
        return 0;
    }
    const nlohmann::json j = form::to_json(*f);
    const std::string dumped = j.dump();  // throws on invalid UTF-8
    auto again = form::parse_job_form_text(dumped);
    if (!again || !(*again == *f)) {
        __builtin_trap();
    }
    return 0;
}
