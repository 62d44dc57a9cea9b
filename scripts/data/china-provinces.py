#!/usr/bin/env python3
"""Makes Sources/OneCodeService/Console/Assets/china_provinces.json, the console's map of China's provinces.

Input: Apache ECharts 4's map/json/china.json (Apache License 2.0), as it stood before commit 445797e3a of
apache/echarts moved it out of the package: `git show 445797e3a^:map/json/china.json > china.json`.
Usage: scripts/data/china-provinces.py china.json > Sources/OneCodeService/Console/Assets/china_provinces.json

Each province keeps its ISO 3166-2:CN code as OneCode stores regions (CN-31; Hong Kong CN-91, Macao CN-92),
its Chinese and English names, and its outlines as flat [lon, lat, ...] rings: ECharts' encoding decoded,
Douglas-Peucker simplified (0.04 degrees; 0.01 for the city provinces), islands under about 15 km left out.
"""
import json
import math
import sys

ENGLISH = {
    '11': 'Beijing', '12': 'Tianjin', '13': 'Hebei', '14': 'Shanxi', '15': 'Inner Mongolia', '21': 'Liaoning', '22': 'Jilin',
    '23': 'Heilongjiang', '31': 'Shanghai', '32': 'Jiangsu', '33': 'Zhejiang', '34': 'Anhui', '35': 'Fujian', '36': 'Jiangxi',
    '37': 'Shandong', '41': 'Henan', '42': 'Hubei', '43': 'Hunan', '44': 'Guangdong', '45': 'Guangxi', '46': 'Hainan',
    '50': 'Chongqing', '51': 'Sichuan', '52': 'Guizhou', '53': 'Yunnan', '54': 'Tibet', '61': 'Shaanxi', '62': 'Gansu',
    '63': 'Qinghai', '64': 'Ningxia', '65': 'Xinjiang', '71': 'Taiwan', '91': 'Hong Kong', '92': 'Macao'}
CITIES = {'11', '12', '31', '91', '92'}


def decode(ring, offset, scale):
    """ECharts' UTF-8 encoding: each point two characters, zigzag deltas from the ring's offset."""
    x0, y0 = offset
    points = []
    for i in range(0, len(ring), 2):
        x, y = ord(ring[i]) - 64, ord(ring[i + 1]) - 64
        x0 += (x >> 1) ^ (-(x & 1))
        y0 += (y >> 1) ^ (-(y & 1))
        points.append((x0 / scale, y0 / scale))
    return points


def simplify(points, tolerance):
    def distance(p, a, b):
        dx, dy = b[0] - a[0], b[1] - a[1]
        if dx == dy == 0:
            return math.hypot(p[0] - a[0], p[1] - a[1])
        t = max(0, min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)))
        return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        best, at = 0, None
        for i in range(a + 1, b):
            d = distance(points[i], points[a], points[b])
            if d > best:
                best, at = d, i
        if at is not None and best > tolerance:
            keep[at] = True
            stack += [(a, at), (at, b)]
    return [p for p, k in zip(points, keep) if k]


def main():
    source = json.load(open(sys.argv[1], encoding='utf-8'))
    scale = source.get('UTF8Scale', 1024)
    provinces = []
    for feature in source['features']:
        prefix = feature['id'][:2]
        code = {'81': '91', '82': '92'}.get(prefix, prefix)
        geometry = feature['geometry']
        polygons = [geometry['coordinates']] if geometry['type'] == 'Polygon' else geometry['coordinates']
        offsets = [geometry['encodeOffsets']] if geometry['type'] == 'Polygon' else geometry['encodeOffsets']
        rings = [decode(r, o, scale) for polygon, offset in zip(polygons, offsets) for r, o in zip(polygon, offset)]
        city = code in CITIES
        kept = []
        for ring in rings:
            size = max(max(p[0] for p in ring) - min(p[0] for p in ring), max(p[1] for p in ring) - min(p[1] for p in ring))
            if size < (0.02 if city else 0.15) and len(rings) > 1:
                continue
            simple = simplify(ring, 0.01 if city else 0.04)
            if len(simple) >= 4:
                kept.append([round(v, 2) for p in simple for v in p])
        provinces.append({'code': 'CN-' + code, 'zh': feature['properties']['name'], 'en': ENGLISH[code], 'rings': kept})
    provinces.sort(key=lambda p: p['code'])
    print(json.dumps({
        'about': 'The provinces of China (ISO 3166-2:CN codes as OneCode stores them), outlines in degrees of longitude and '
                 'latitude as flat [lon, lat, lon, lat, ...] rings, simplified for a dashboard map (not a surveyed map). '
                 'Derived from Apache ECharts 4 map/json/china.json (Apache License 2.0; see docs/THIRD-PARTY.md) by '
                 'scripts/data/china-provinces.py: decoded, Douglas-Peucker simplified, islands under about 15 km left out.',
        'provinces': provinces}, ensure_ascii=False, separators=(',', ':')))


main()
