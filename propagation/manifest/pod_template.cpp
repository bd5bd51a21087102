#include "propagation/manifest/pod_template.hpp"

#include "propagation/manifest/naming.hpp"

namespace propagation::manifest {

namespace {

using nlohmann::json;

json labels(const build_input& in) {
    json l = json::object();
    for (const auto& [k, v] : in.form.labels) {
        l[k] = v;
    }
    l[std::string(job_id_label)] = in.job_id;  // ours wins over a form label of the same key
    return l;
}

void put_quantity(json& map, const char* key, const std::optional<quantity>& q) {
    if (q) {
        map[key] = q->to_string();
    }
}

json resources(const form::job_form& f, bool gpus) {
    json requests = json::object();
    json limits = json::object();
    put_quantity(requests, "cpu", f.cpu_request);
    put_quantity(requests, "memory", f.memory_request);
    put_quantity(limits, "cpu", f.cpu_limit);
    put_quantity(limits, "memory", f.memory_limit);
    if (gpus && wants_gpus(f)) {
        const std::string n = std::to_string(f.gpu_request);
        requests[f.gpu_resource] = n;
        limits[f.gpu_resource] = n;
    }
    json r = json::object();
    if (!requests.empty()) {
        r["requests"] = std::move(requests);
    }
    if (!limits.empty()) {
        r["limits"] = std::move(limits);
    }
    return r;
}

json env_var(std::string name, const std::string& value) {
    json e = json::object();
    e["name"] = std::move(name);
    e["value"] = value;
    return e;
}

bool needs_shell_quotes(std::string_view s) {
    if (s.empty()) {
        return true;
    }
    for (char c : s) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '/' ||
                          c == '=' || c == ':' || c == ',' || c == '+' || c == '@' || c == '%';
        if (!safe) {
            return true;
        }
    }
    return false;
}

// 'text' with every ' written as '\'' (close, escaped quote, reopen).
std::string single_quoted(std::string_view s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') {
            q += "'\\''";
        } else {
            q += c;
        }
    }
    q += '\'';
    return q;
}

}  // namespace

const build_options& default_build_options() {
    static const build_options options;
    return options;
}

json object_metadata(const build_input& in, std::string_view name, bool workload) {
    json m = json::object();
    m["name"] = name;
    m["namespace"] = in.form.namespace_;
    m["labels"] = labels(in);
    if (workload && in.form.priority != 0) {
        m["annotations"] = {{std::string(priority_annotation), std::to_string(in.form.priority)}};
    }
    return m;
}

json pod_metadata(const build_input& in) {
    json m = json::object();
    m["labels"] = labels(in);
    return m;
}

std::string hyperparameter_env_name(std::string_view key) {
    std::string s = "HP_";
    s.reserve(3 + key.size());
    for (char c : key) {
        if (c >= 'a' && c <= 'z') {
            s += static_cast<char>(c - 'a' + 'A');
        } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            s += c;
        } else {
            s += '_';
        }
    }
    return s;
}

std::string shell_quote(std::string_view s) {
    return needs_shell_quotes(s) ? single_quoted(s) : std::string(s);
}

std::string shell_command_line(const form::job_form& f) {
    std::string line;
    if (f.command_is_shell && !f.command.empty()) {
        line = f.command.front();
    } else {
        for (const auto& part : f.command) {
            // A leading NAME=value word would be a shell variable assignment, not the program.
            if (line.empty() && part.find('=') != std::string::npos) {
                line = single_quoted(part);
                continue;
            }
            if (!line.empty()) {
                line += ' ';
            }
            line += shell_quote(part);
        }
    }
    auto append = [&line](std::string_view arg) {
        if (!line.empty()) {
            line += ' ';
        }
        line += shell_quote(arg);
    };
    for (const auto& a : f.args) {
        append(a);
    }
    for (const auto& [k, v] : f.hyperparameters) {
        append("--" + k + "=" + v);
    }
    return line;
}

json container(const build_input& in, const container_options& opt) {
    const auto& f = in.form;
    json c = json::object();
    c["name"] = opt.name;
    c["image"] = f.image;
    if (opt.command) {
        json args = json::array();
        for (const auto& a : f.args) {
            args.push_back(a);
        }
        for (const auto& [k, v] : f.hyperparameters) {
            args.push_back("--" + k + "=" + v);
        }
        if (f.command_is_shell && !f.command.empty()) {
            if (args.empty()) {
                c["command"] = {"/bin/sh", "-c", f.command.front()};
            } else {
                c["command"] = {"/bin/sh", "-c", f.command.front() + " \"$@\"", "sh"};
            }
        } else if (!f.command.empty()) {
            c["command"] = f.command;
        }
        if (!args.empty()) {
            c["args"] = std::move(args);
        }
    }
    if (!f.env.empty() || !f.hyperparameters.empty()) {
        json env = json::array();
        for (const auto& e : f.env) {
            env.push_back(env_var(e.name, e.value));
        }
        for (const auto& [k, v] : f.hyperparameters) {
            env.push_back(env_var(hyperparameter_env_name(k), v));
        }
        c["env"] = std::move(env);
    }
    json r = resources(f, opt.gpus);
    if (!r.empty()) {
        c["resources"] = std::move(r);
    }
    if (f.storage_size) {
        json mount = json::object();
        mount["name"] = data_volume_name;
        mount["mountPath"] = in.options.data_mount_path;
        c["volumeMounts"] = json::array({std::move(mount)});
    }
    return c;
}

json pod_spec(const build_input& in, json&& c, bool gpus) {
    const auto& f = in.form;
    json spec = json::object();
    spec["containers"] = json::array({std::move(c)});
    if (gpus && wants_gpus(f)) {
        json toleration = json::object();
        toleration["key"] = f.gpu_resource;
        toleration["operator"] = "Exists";
        toleration["effect"] = "NoSchedule";
        spec["tolerations"] = json::array({std::move(toleration)});
        if (!f.gpu_model.empty() && !in.options.gpu_model_node_label.empty()) {
            spec["nodeSelector"] = {{in.options.gpu_model_node_label, f.gpu_model}};
        }
    }
    if (f.storage_size) {
        json volume = json::object();
        volume["name"] = data_volume_name;
        volume["persistentVolumeClaim"] = {{"claimName", pvc_name(f.name)}};
        spec["volumes"] = json::array({std::move(volume)});
    }
    return spec;
}

json pod_template(const build_input& in, json&& spec) {
    json t = json::object();
    t["metadata"] = pod_metadata(in);
    t["spec"] = std::move(spec);
    return t;
}

}  // namespace propagation::manifest
