// ndr_pcap: the project's own Node-API binding over libpcap.
//
// Why it exists: the npm bindings (`cap`, `pcap`) give no timestamps or drop counters, keep raw
// pointers into JS memory, or never let the process exit (shared/DEPENDENCIES.md). This one
// does the minimum the sensor needs and nothing per packet in JS:
//   - one JS call copies many packets into JS-provided buffers (the batch layout of
//     sensor/capture/batch.ts); no pointer into JS memory is kept past the call;
//   - per-packet capture timestamps from libpcap's header (nanoseconds where available);
//   - pcap_stats for kernel drop counters;
//   - readiness comes from a libuv poll handle on pcap_get_selectable_fd, so the event loop
//     sleeps until the kernel has packets (no busy polling), and close() releases the handle so
//     the process can exit.
// It is a context-aware Node-API module (loads in any thread), but the sensor captures in the
// main thread only.

#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

constexpr uint32_t kMetaWords = 4;  // batch.ts META_WORDS

class Capture;

// Per-environment list of open captures, closed when the environment is torn down (worker exit,
// process teardown) so no uv handle outlives its loop.
struct EnvState {
  std::unordered_set<Capture*> open;
  Napi::FunctionReference constructor;
};

Napi::Error MakeError(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

std::string GetString(const Napi::Object& o, const char* key, const std::string& dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

int64_t GetInt(const Napi::Object& o, const char* key, int64_t dflt, int64_t min, int64_t max) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<int64_t>(d))) {
    throw Napi::RangeError::New(o.Env(), std::string("option ") + key + " must be an integer in [" +
                                             std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<int64_t>(d);
}

bool GetBool(const Napi::Object& o, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

class Capture : public Napi::ObjectWrap<Capture> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Capture",
                       {
                           InstanceMethod<&Capture::Dispatch>("dispatch"),
                           InstanceMethod<&Capture::Stats>("stats"),
                           InstanceMethod<&Capture::Start>("start"),
                           InstanceMethod<&Capture::Stop>("stop"),
                           InstanceMethod<&Capture::Close>("close"),
                           InstanceMethod<&Capture::SetFilter>("setFilter"),
                           InstanceAccessor<&Capture::LinkType>("linkType"),
                           InstanceAccessor<&Capture::Snaplen>("snaplen"),
                           InstanceAccessor<&Capture::Nanosecond>("nanosecond"),
                           InstanceAccessor<&Capture::Warning>("warning"),
                           InstanceAccessor<&Capture::PendingLength>("pendingLength"),
                           InstanceAccessor<&Capture::Eof>("eof"),
                           InstanceAccessor<&Capture::IsOpen>("isOpen"),
                       });
  }

  // new Capture({ device | file, snaplen, promisc, bufferBytes, immediate, timeoutMs,
  //               nanosecond, filter, iface })
  explicit Capture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Capture>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "Capture(options): options object required");
    Napi::Object o = info[0].As<Napi::Object>();
    std::string device = GetString(o, "device", "");
    std::string file = GetString(o, "file", "");
    int snaplen = static_cast<int>(GetInt(o, "snaplen", 262144, 64, 262144));
    bool promisc = GetBool(o, "promisc", true);
    int64_t bufferBytes = GetInt(o, "bufferBytes", 0, 0, INT32_MAX);
    bool immediate = GetBool(o, "immediate", false);
    int timeoutMs = static_cast<int>(GetInt(o, "timeoutMs", 100, 0, 60000));
    bool wantNano = GetBool(o, "nanosecond", true);
    std::string filter = GetString(o, "filter", "");
    uint32_t iface = static_cast<uint32_t>(GetInt(o, "iface", 0, 0, 0xffff));

    if (device.empty() == file.empty()) throw Napi::TypeError::New(env, "Capture: exactly one of options.device or options.file is required");

    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = 0;
    if (!file.empty()) {
      offline_ = true;
      pcap_ = pcap_open_offline_with_tstamp_precision(file.c_str(), wantNano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, errbuf);
      if (pcap_ == nullptr) throw MakeError(env, "cannot open capture file " + file + ": " + errbuf, "EPCAPFILE");
    } else {
      pcap_ = pcap_create(device.c_str(), errbuf);
      if (pcap_ == nullptr) throw MakeError(env, "pcap_create(" + device + ") failed: " + errbuf, "EPCAP");
      pcap_set_snaplen(pcap_, snaplen);
      pcap_set_promisc(pcap_, promisc ? 1 : 0);
      pcap_set_timeout(pcap_, timeoutMs);
      if (bufferBytes > 0) pcap_set_buffer_size(pcap_, static_cast<int>(bufferBytes));
      pcap_set_immediate_mode(pcap_, immediate ? 1 : 0);
      // Not every platform/libpcap offers nanoseconds; fall back to microseconds silently
      // (the `nanosecond` accessor tells which one is in force).
      if (wantNano) pcap_set_tstamp_precision(pcap_, PCAP_TSTAMP_PRECISION_NANO);
      int rc = pcap_activate(pcap_);
      if (rc < 0) {
        std::string detail = pcap_geterr(pcap_);
        std::string msg = std::string("cannot open interface ") + device + ": " + pcap_statustostr(rc);
        if (!detail.empty()) msg += " (" + detail + ")";
        const char* code = "EPCAP";
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE) code = "ENODEV";
        if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) {
          code = "EPERM";
          msg += "; capturing needs root or CAP_NET_RAW (file capability, or systemd AmbientCapabilities)";
        }
        if (rc == PCAP_ERROR_IFACE_NOT_UP) code = "ENETDOWN";
        pcap_close(pcap_);
        pcap_ = nullptr;
        throw MakeError(env, msg, code);
      }
      if (rc > 0) {
        warning_ = std::string(pcap_statustostr(rc));
        std::string detail = pcap_geterr(pcap_);
        if (!detail.empty()) warning_ += " (" + detail + ")";
      }
      if (pcap_setnonblock(pcap_, 1, errbuf) != 0) {
        std::string msg = std::string("pcap_setnonblock failed: ") + errbuf;
        pcap_close(pcap_);
        pcap_ = nullptr;
        throw MakeError(env, msg, "EPCAP");
      }
    }
    nanosecond_ = pcap_get_tstamp_precision(pcap_) == PCAP_TSTAMP_PRECISION_NANO;
    fracDivisor_ = nanosecond_ ? 1e9 : 1e6;
    snaplen_ = pcap_snapshot(pcap_);
    linkType_ = pcap_datalink(pcap_);
    linkWord_ = (static_cast<uint32_t>(linkType_) & 0xffffu) | (iface << 16);
    if (!filter.empty()) {
      try {
        ApplyFilter(env, filter);
      } catch (...) {
        pcap_close(pcap_);
        pcap_ = nullptr;
        throw;
      }
    }
    State(env)->open.insert(this);
    registered_ = true;
  }

  ~Capture() override { CloseNative(); }

  static EnvState* State(Napi::Env env) { return env.GetInstanceData<EnvState>(); }

  void CloseNative() {
    if (poll_ != nullptr) {
      if (polling_) {
        uv_poll_stop(poll_);
        polling_ = false;
        // The JS object was pinned while polling; finalizers never get here while pinned.
        if (!tearingDown_) Unref();
      }
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    // Closed from inside its own readiness callback (the JS handler saw a read error): the
    // callback and its async context are still in use up the stack; OnPoll releases them.
    if (!inCallback_) {
      onReadable_.Reset();
      asyncContext_.reset();
    }
    if (pcap_ != nullptr) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
    if (registered_) {
      registered_ = false;
      EnvState* st = Napi::Env(env_).GetInstanceData<EnvState>();
      if (st != nullptr) st->open.erase(this);
    }
  }

  void TearDown() {
    tearingDown_ = true;
    CloseNative();
  }

 private:
  void ApplyFilter(Napi::Env env, const std::string& filter) {
    struct bpf_program prog;
    if (pcap_compile(pcap_, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      throw MakeError(env, "invalid BPF filter \"" + filter + "\": " + pcap_geterr(pcap_), "EBPF");
    }
    int rc = pcap_setfilter(pcap_, &prog);
    pcap_freecode(&prog);
    if (rc != 0) throw MakeError(env, "cannot install BPF filter \"" + filter + "\": " + pcap_geterr(pcap_), "EBPF");
  }

  void RequireOpen(Napi::Env env) {
    if (pcap_ == nullptr) throw MakeError(env, "capture is closed", "ECLOSED");
  }

  // Copies one packet into the caller's buffers; false when the data chunk has no room.
  struct Out {
    uint8_t* data;
    size_t dataLen;
    size_t off;
    double* ts;
    uint32_t* meta;
    size_t idx;
  };
  bool Put(Out& o, const struct pcap_pkthdr& h, const u_char* bytes) {
    if (h.caplen > o.dataLen - o.off) return false;
    std::memcpy(o.data + o.off, bytes, h.caplen);
    o.ts[o.idx] = static_cast<double>(h.ts.tv_sec) + static_cast<double>(h.ts.tv_usec) / fracDivisor_;
    uint32_t* m = o.meta + o.idx * kMetaWords;
    m[0] = static_cast<uint32_t>(o.off);
    m[1] = h.caplen;
    m[2] = h.len;
    m[3] = linkWord_;
    o.off += h.caplen;
    o.idx++;
    return true;
  }

  // dispatch(data: Uint8Array, dataOffset, ts: Float64Array, meta: Uint32Array, startIndex,
  //          maxPackets) -> number of packets written at ts[startIndex..], meta[startIndex*4..],
  // bytes appended from data[dataOffset]. Returns early when the kernel has nothing more (live),
  // at end of file (offline: see `eof`), or when the next packet does not fit in `data`
  // (it is held back and delivered first by the next call: see `pendingLength`).
  Napi::Value Dispatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    static const char* kUsage = "dispatch(data: Uint8Array, dataOffset, ts: Float64Array, meta: Uint32Array, startIndex, maxPackets)";
    if (info.Length() < 6) throw Napi::TypeError::New(env, kUsage);
    // One napi_get_typedarray_info per array (the constructors cache type, length and data; a
    // non-typed-array argument makes them throw): this is the fixed cost of every call.
    Napi::Uint8Array data;
    Napi::Float64Array ts;
    Napi::Uint32Array meta;
    try {
      data = Napi::Uint8Array(env, info[0]);
      ts = Napi::Float64Array(env, info[2]);
      meta = Napi::Uint32Array(env, info[3]);
    } catch (const Napi::Error&) {
      throw Napi::TypeError::New(env, kUsage);
    }
    if (data.TypedArrayType() != napi_uint8_array || ts.TypedArrayType() != napi_float64_array ||
        meta.TypedArrayType() != napi_uint32_array) {
      throw Napi::TypeError::New(env, "dispatch: data must be a Uint8Array, ts a Float64Array, meta a Uint32Array");
    }
    // Non-numbers read as NaN and fail the range check below.
    double dataOffset = info[1].ToNumber().DoubleValue();
    double startIndex = info[4].ToNumber().DoubleValue();
    double maxPackets = info[5].ToNumber().DoubleValue();
    size_t dataLen = data.ElementLength();
    if (!(dataOffset >= 0 && dataOffset <= static_cast<double>(dataLen)) || !(startIndex >= 0) || !(maxPackets >= 0) ||
        startIndex + maxPackets > static_cast<double>(ts.ElementLength()) ||
        (startIndex + maxPackets) * kMetaWords > static_cast<double>(meta.ElementLength()) || dataLen > 0xffffffffu) {
      throw Napi::RangeError::New(env, "dispatch: offsets/counts outside the given buffers (data must be < 4 GiB)");
    }
    if (!deferredError_.empty()) {
      std::string e = deferredError_;
      deferredError_.clear();
      throw MakeError(env, "libpcap read failed: " + e, "EREAD");
    }
    if (eof_) return Napi::Number::New(env, 0);  // offline: nothing after the end of the file
    Out o{data.Data(), dataLen, static_cast<size_t>(dataOffset), ts.Data(), meta.Data(), static_cast<size_t>(startIndex)};
    const size_t first = o.idx;
    const size_t limit = o.idx + static_cast<size_t>(maxPackets);
    if (pendingLength_ > 0 && o.idx < limit) {
      if (!Put(o, pendingHdr_, pending_.data())) return Napi::Number::New(env, 0);
      pendingLength_ = 0;
    }
    while (o.idx < limit) {
      struct pcap_pkthdr* h;
      const u_char* bytes;
      int rc = pcap_next_ex(pcap_, &h, &bytes);
      if (rc == 1) {
        if (!Put(o, *h, bytes)) {
          // Keep it for the next call: libpcap reuses its ring slot once we read on.
          if (pending_.size() < h->caplen) pending_.resize(h->caplen);
          std::memcpy(pending_.data(), bytes, h->caplen);
          pendingHdr_ = *h;
          pendingLength_ = h->caplen;
          break;
        }
        continue;
      }
      if (rc == 0) break;  // live, non-blocking: nothing more right now
      if (rc == PCAP_ERROR_BREAK) {
        eof_ = true;
        break;
      }
      std::string err = pcap_geterr(pcap_);
      if (o.idx > first) {  // hand over what was read; report the error on the next call
        deferredError_ = err;
        break;
      }
      throw MakeError(env, "libpcap read failed: " + err, "EREAD");
    }
    return Napi::Number::New(env, static_cast<double>(o.idx - first));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    struct pcap_stat st;
    std::memset(&st, 0, sizeof st);
    if (pcap_stats(pcap_, &st) != 0) throw MakeError(env, std::string("pcap_stats failed: ") + pcap_geterr(pcap_), "EPCAP");
    Napi::Object r = Napi::Object::New(env);
    r.Set("received", Napi::Number::New(env, st.ps_recv));
    r.Set("dropped", Napi::Number::New(env, st.ps_drop));
    r.Set("ifDropped", Napi::Number::New(env, st.ps_ifdrop));
    return r;
  }

  // start(onReadable: (status: number) => void): watch the capture fd; onReadable runs on the
  // event loop whenever the kernel has packets (status < 0: poll error, e.g. interface gone).
  void Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "start(onReadable: function)");
    if (offline_) throw MakeError(env, "start: an offline capture has no selectable fd; call dispatch() until eof", "EOFFLINE");
    if (poll_ == nullptr) {
      int fd = pcap_get_selectable_fd(pcap_);
      if (fd < 0) throw MakeError(env, "start: libpcap has no selectable fd for this capture", "EPCAP");
      uv_loop_t* loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw MakeError(env, "start: no event loop", "EPCAP");
      poll_ = new uv_poll_t;
      int rc = uv_poll_init(loop, poll_, fd);
      if (rc != 0) {
        delete poll_;
        poll_ = nullptr;
        throw MakeError(env, std::string("uv_poll_init: ") + uv_strerror(rc), "EPCAP");
      }
      poll_->data = this;
    }
    onReadable_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (!asyncContext_) asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "ndr_pcap.Capture", Value());
    int rc = uv_poll_start(poll_, UV_READABLE, OnPoll);
    if (rc != 0) throw MakeError(env, std::string("uv_poll_start: ") + uv_strerror(rc), "EPCAP");
    if (!polling_) {
      Ref();  // keep the wrapper alive while libuv may call back into it
      polling_ = true;
    }
  }

  // stop(): stop watching (backpressure); packets queue in the kernel ring meanwhile.
  void Stop(const Napi::CallbackInfo&) {
    if (poll_ != nullptr && polling_) {
      uv_poll_stop(poll_);
      polling_ = false;
      Unref();
    }
  }

  void Close(const Napi::CallbackInfo&) { CloseNative(); }

  void SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "setFilter(expression: string)");
    ApplyFilter(env, info[0].As<Napi::String>().Utf8Value());
  }

  static void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
    Capture* self = static_cast<Capture*>(handle->data);
    if (self == nullptr || self->onReadable_.IsEmpty()) return;
    Napi::Env env(self->env_);
    Napi::HandleScope scope(env);
    self->inCallback_ = true;
    try {
      self->onReadable_.MakeCallback(self->Value(), {Napi::Number::New(env, status)}, *self->asyncContext_);
    } catch (const Napi::Error& e) {
      // A throw in the JS handler becomes an ordinary uncaught exception.
      self->inCallback_ = false;
      napi_fatal_exception(env, e.Value());
    }
    self->inCallback_ = false;
    if (self->pcap_ == nullptr) {  // closed during the callback
      self->onReadable_.Reset();
      self->asyncContext_.reset();
    }
  }

  Napi::Value LinkType(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), linkType_); }
  Napi::Value Snaplen(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), snaplen_); }
  Napi::Value Nanosecond(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), nanosecond_); }
  Napi::Value Warning(const Napi::CallbackInfo& info) {
    if (warning_.empty()) return info.Env().Null();
    return Napi::String::New(info.Env(), warning_);
  }
  Napi::Value PendingLength(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pendingLength_); }
  Napi::Value Eof(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), eof_); }
  Napi::Value IsOpen(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), pcap_ != nullptr); }

  napi_env env_;
  pcap_t* pcap_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  bool polling_ = false;
  bool offline_ = false;
  bool eof_ = false;
  bool nanosecond_ = false;
  bool tearingDown_ = false;
  bool registered_ = false;
  bool inCallback_ = false;
  double fracDivisor_ = 1e6;
  int snaplen_ = 0;
  int linkType_ = 0;
  uint32_t linkWord_ = 0;
  std::string warning_;
  std::string deferredError_;
  std::vector<uint8_t> pending_;
  struct pcap_pkthdr pendingHdr_ {};
  uint32_t pendingLength_ = 0;
  Napi::FunctionReference onReadable_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};

Napi::Value LibVersion(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), pcap_lib_version()); }

void CleanupEnv(void* arg) {
  EnvState* st = static_cast<EnvState*>(arg);
  std::vector<Capture*> open(st->open.begin(), st->open.end());
  for (Capture* c : open) c->TearDown();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  EnvState* st = new EnvState();
  env.SetInstanceData<EnvState>(st);
  napi_add_env_cleanup_hook(env, CleanupEnv, st);
  Napi::Function ctor = Capture::Init(env);
  st->constructor = Napi::Persistent(ctor);
  exports.Set("Capture", ctor);
  exports.Set("libVersion", Napi::Function::New<LibVersion>(env, "libVersion"));
  return exports;
}

}  // namespace

NODE_API_MODULE(ndr_pcap, InitModule)
