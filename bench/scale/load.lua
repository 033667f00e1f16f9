-- wrk script of bench/scale/run. MODE:
--   cycle   GET PREFIX..line..SUFFIX, cycling over the lines of LINES (each thread from its own offset)
--   insert  POST PATH, a new client with a unique email
-- API-KEY header from KEY. done() prints one line: SCALE rps= p50_ms= p99_ms= non2xx= errors=
local mode, key = os.getenv("MODE"), os.getenv("KEY")
wrk.headers["API-KEY"] = key
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end

if mode == "cycle" then
  local lines = {}
  for l in io.lines(os.getenv("LINES")) do lines[#lines + 1] = l end
  local prefix, suffix, i = os.getenv("PREFIX"), os.getenv("SUFFIX") or "", 0
  function init() i = (tid or 0) * 7919 end
  function request()
    i = i % #lines + 1
    return wrk.format("GET", prefix .. lines[i] .. suffix)
  end
else
  local run, n = os.getenv("RUN"), 0
  wrk.method, wrk.path = "POST", os.getenv("PATH_")
  wrk.headers["Content-Type"] = "application/json"
  function request()
    n = n + 1
    return wrk.format(nil, nil, nil, string.format(
      '{"email":"scale.%s.%d.%d@example.com","display_name":"Scale Bench","age":30,"gender":"female","weight":61.5,"height":168,"preferable_activities":["Running"]}',
      run, tid or 0, n))
  end
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format("SCALE requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
