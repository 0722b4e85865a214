-- wrk script for every benchmark case; bench/wrk.py sets what it does through the environment:
--   BENCH_METHOD   GET (default) or POST
--   BENCH_PATHS    one or more paths, one per line; each thread walks them round-robin
--   BENCH_HEADERS  "Name: value" lines
--   BENCH_BODY     a fixed request body (the order-creation case)
--   BENCH_TOKENS   bearer tokens, one per line (the order cases' customers): each request takes the
--                  next one's "Authorization: Bearer <token>" header, round-robin, every thread from
--                  its own offset; a request per path and token is prepared in init()
--   BENCH_WEBHOOK_TEMPLATE, BENCH_WEBHOOK_SECRET, BENCH_NONCE: the webhook case. Every request is a
--     new event: @ID@ in the template becomes a unique id, and the body is signed as Stripe signs
--     (t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")) with OpenSSL's HMAC through LuaJIT's FFI
--     (wrk links libcrypto). Without FFI it cycles through BENCH_WEBHOOK_POOL, a file of
--     "<signature>\t<body>" lines signed in advance (valid for Stripe's 5 minutes of tolerance);
--     BENCH_WEBHOOK_SIGNER=pool forces that.
-- done() prints one line "BENCH_JSON {...}" with exact counts and latencies in microseconds.

local threads_made = 0

function setup(thread)
   thread:set("tid", threads_made)
   threads_made = threads_made + 1
end

local function split_lines(text)
   local out = {}
   for line in string.gmatch(text or "", "[^\n]+") do
      out[#out + 1] = line
   end
   return out
end

local method = os.getenv("BENCH_METHOD") or "GET"
local paths = split_lines(os.getenv("BENCH_PATHS") or "/")
local headers = {}
for _, line in ipairs(split_lines(os.getenv("BENCH_HEADERS"))) do
   local name, value = string.match(line, "^([^:]+):%s*(.*)$")
   if name then headers[name] = value end
end
local body = os.getenv("BENCH_BODY")
local tokens = split_lines(os.getenv("BENCH_TOKENS"))
local template_file = os.getenv("BENCH_WEBHOOK_TEMPLATE")

local prepared = {}
local counter = 0
local hmac_hex = nil
local pool = nil
local template = nil
local secret = os.getenv("BENCH_WEBHOOK_SECRET") or ""
local nonce = os.getenv("BENCH_NONCE") or "0"

local function load_hmac()
   local ok, ffi = pcall(require, "ffi")
   if not ok then return nil end
   pcall(ffi.cdef, [[
      typedef struct evp_md_st EVP_MD;
      const EVP_MD *EVP_sha256(void);
      unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                          const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
   ]])
   local lib = nil
   if pcall(function() return ffi.C.HMAC end) then
      lib = ffi.C
   else
      for _, name in ipairs({"libcrypto.so.3", "crypto", "libcrypto.so.1.1"}) do
         local loaded, candidate = pcall(ffi.load, name)
         if loaded then lib = candidate break end
      end
   end
   if lib == nil then return nil end
   local md = ffi.new("unsigned char[32]")
   local md_len = ffi.new("unsigned int[1]")
   return function(key, data)
      lib.HMAC(lib.EVP_sha256(), key, #key, data, #data, md, md_len)
      local hex = {}
      for i = 0, 31 do hex[i + 1] = string.format("%02x", md[i]) end
      return table.concat(hex)
   end
end

local sent = 0
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

function init(args)
   local id = tid or 0
   if template_file then
      local file = assert(io.open(template_file, "r"))
      template = file:read("*a")
      file:close()
      if os.getenv("BENCH_WEBHOOK_SIGNER") ~= "pool" then hmac_hex = load_hmac() end
      if hmac_hex == nil then
         pool = {}
         for line in io.lines(os.getenv("BENCH_WEBHOOK_POOL")) do
            local signature, signed_body = string.match(line, "^([^\t]+)\t(.*)$")
            pool[#pool + 1] = {signature, signed_body}
         end
      end
      return
   end
   if #tokens == 0 then
      for i, path in ipairs(paths) do
         prepared[i] = wrk.format(method, path, headers, body)
      end
   else
      for _, token in ipairs(tokens) do
         local h = {}
         for name, value in pairs(headers) do h[name] = value end
         h["Authorization"] = "Bearer " .. token
         for _, path in ipairs(paths) do
            prepared[#prepared + 1] = wrk.format(method, path, h, body)
         end
      end
   end
   -- threads start at different requests, spread evenly (different paths, different customers)
   counter = math.floor(id * #prepared / thread_count)
end

local function webhook_request()
   sent = sent + 1
   local signature, payload
   if hmac_hex ~= nil then
      local event_id = nonce .. "_" .. (tid or 0) .. "_" .. sent
      payload = string.gsub(template, "@ID@", event_id)
      local t = tostring(os.time())
      signature = "t=" .. t .. ",v1=" .. hmac_hex(secret, t .. "." .. payload)
   else
      -- each thread takes every thread_count-th entry, so threads send different events
      local entry = pool[((sent - 1) * thread_count + (tid or 0)) % #pool + 1]
      signature, payload = entry[1], entry[2]
   end
   local h = {}
   for name, value in pairs(headers) do h[name] = value end
   h["Stripe-Signature"] = signature
   return wrk.format("POST", paths[1], h, payload)
end

function request()
   if template ~= nil then return webhook_request() end
   counter = counter + 1
   return prepared[(counter % #prepared) + 1]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
