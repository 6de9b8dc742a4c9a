-- SPDX-License-Identifier: BSD-3-Clause
--
-- size_sweep.lua: forwarding rate at 100 % offered load by frame size,
-- 64..1518 bytes. Writes netvm-size.csv in Pktgen's working folder.
--   pktgen -l 0-2 -n 4 -- -P -m "[1].0,[2].1" -f scripts/pktgen-lua/size_sweep.lua

package.path = package.path .. ";scripts/pktgen-lua/?.lua;?.lua"
local nv = require("netvm_common")

local sizes = { 64, 128, 256, 512, 1024, 1280, 1518 }

nv.setup()
local out = io.open("netvm-size.csv", "w")
out:write("size,rx_pps_median,rx_pps_min,rx_pps_max,worst_loss\n")
for _, s in ipairs(sizes) do
	nv.point(out, tostring(s), 100, s)
end
out:close()
pktgen.quit()
