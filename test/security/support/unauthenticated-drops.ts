/** A node's count of bus frames dropped for a missing or wrong MAC, read from its `/metrics`. */
export async function unauthenticatedDrops(url: string, adminToken: string): Promise<number> {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
  ).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('presence_transport_frames_dropped_total{reason="unauthenticated"}'));
  return Number(line?.split(' ').pop() ?? Number.NaN);
}
