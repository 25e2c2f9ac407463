"""Shared API limits in Redis: one sorted set per window, scripts that run atomically.

Each window is a sorted set of the calls sent in it, scored by the Redis server's clock
(``TIME``), so workers on different machines agree on when a window ends. A pause is a
key holding the time it ends; usage a hash of the vendor's last figures.
"""

from __future__ import annotations

import uuid
from itertools import count
from typing import Any, cast

import redis

from funnelsync.shared_limits import USAGE_TTL_S

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local calls, per_s = tonumber(ARGV[1]), tonumber(ARGV[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return tostring(paused - now) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per_s)
if redis.call('ZCARD', KEYS[1]) < calls then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(per_s * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(math.max(tonumber(oldest[2]) + per_s - now, 0.001))
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ends = now + tonumber(ARGV[1])
if ends > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(ends), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return 1
"""

_COUNT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'used', ARGV[1])
end
return 1
"""


def redis_client(url: str) -> redis.Redis:
    """A client for the Redis at ``url``."""
    return redis.Redis.from_url(url)


class RedisLimits:
    """:class:`~funnelsync.shared_limits.SharedLimits` of one ``budget_key`` in Redis."""

    def __init__(self, client: redis.Redis, budget_key: str) -> None:
        self._client = client
        self._prefix = f"funnelsync:limits:{budget_key}"
        self._take = client.register_script(_TAKE)
        self._pause = client.register_script(_PAUSE)
        self._count = client.register_script(_COUNT)
        self._caller = uuid.uuid4().hex
        self._numbers = count()

    def take(self, limiter: str, calls: int, per_s: float) -> float:
        """See :meth:`funnelsync.shared_limits.SharedLimits.take`."""
        keys = [f"{self._prefix}:{limiter}:calls", f"{self._prefix}:{limiter}:paused"]
        member = f"{self._caller}:{next(self._numbers)}"
        return float(cast(Any, self._take(keys=keys, args=[calls, per_s, member])))

    def pause(self, limiter: str, seconds: float) -> None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.pause`."""
        if seconds > 0:
            self._pause(keys=[f"{self._prefix}:{limiter}:paused"], args=[seconds])

    def observe_usage(self, used: int, allowance: int) -> None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.observe_usage`."""
        key = f"{self._prefix}:usage"
        pipe = self._client.pipeline()
        pipe.hset(key, mapping={"used": used, "allowance": allowance})
        pipe.expire(key, int(USAGE_TTL_S))
        pipe.execute()

    def count_usage(self, calls: int) -> None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.count_usage`."""
        self._count(keys=[f"{self._prefix}:usage"], args=[calls])

    def usage(self) -> tuple[int, int] | None:
        """See :meth:`funnelsync.shared_limits.SharedLimits.usage`."""
        found = cast(dict[bytes, bytes], self._client.hgetall(f"{self._prefix}:usage"))
        if b"used" not in found or b"allowance" not in found:
            return None
        return int(found[b"used"]), int(found[b"allowance"])
