local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
local t = {}
for i = 1, 200000 do t[i] = (i * 7919) % 100003 end
table.sort(t)
local s = {}
for i = 1, 50000 do s[#s+1] = tostring(i) end
local joined = table.concat(s, ",")
local count = 0
for w in joined:gmatch("%d+") do count = count + #w end
print(fib(27), t[1000], count)
