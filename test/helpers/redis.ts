/** A real redis-server on a loopback port for a test (it lives under src/ so the compiled bench can use it). */
export { startRedis, redisCommand, type TestRedis } from '../../src/bench/peers/redis';
