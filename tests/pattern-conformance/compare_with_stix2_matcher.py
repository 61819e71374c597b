#!/usr/bin/python3
"""The conformance suite and a generated corpus through the OASIS reference matcher.

    compare_with_stix2_matcher.py [BUILD_DIR] [--generated N] [--seed S]

Runs every case of tests/pattern-conformance/*.json through stix2-matcher (and every parse-error
case through stix2-patterns' validator) and compares with the case's expected answer, which is
ctihub's (pattern_conformance_test checks ctihub gives it). A case where the reference answers
differently must say why in its "reference" field ("differs: …"); any other disagreement fails.
Then N generated cases go through both stix2-matcher and `BUILD_DIR/ctihub pattern match`, and
every disagreement is printed with the pattern and observations.

The reference implementations are not part of ctihub: their sources are found through
$CTIHUB_STIX2_MATCHER_PYTHONPATH (default: /work/anchors/src/cti-pattern-matcher and
/work/anchors/src/cti-pattern-validator-v2.0.0; see ../shared/docs/ANCHORS.md), with Debian's
python3-antlr4, python3-dateutil, python3-deepmerge and python3-six. Exit 77 (skipped) when they
cannot be imported; 1 on an undocumented disagreement; 0 otherwise.
"""
import copy
import glob
import json
import os
import random
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ANCHORS = '/work/anchors/src'
sys.path[:0] = os.environ.get(
    'CTIHUB_STIX2_MATCHER_PYTHONPATH',
    ANCHORS + '/cti-pattern-matcher:' + ANCHORS + '/cti-pattern-validator-v2.0.0').split(':')
try:
    from stix2matcher.matcher import match as reference_match
    from stix2patterns.validator import run_validator
except Exception as e:  # any import problem means the reference is not installed here
    print('SKIP: cannot import stix2-matcher / stix2-patterns (%s); see ANCHORS.md' % e)
    sys.exit(77)

NAMESPACE = uuid.UUID('6ba7b811-9dad-11d1-80b4-00c04fd430c8')


def as_bundle(observations):
    """STIX 2.1 form of the case's observations, which stix2-matcher reads in 2.1 mode (the only
    mode whose grammar has t'' timestamps in START/STOP): 2.0-style `objects` dictionaries become
    SCOs with ids and object_refs, references rewritten to those ids."""
    if isinstance(observations, dict):
        return [observations]
    objects = []
    for i, od in enumerate(observations):
        ids = {k: '%s--%s' % (v.get('type', 'x-unknown'), uuid.uuid5(NAMESPACE, '%d/%s' % (i, k)))
               for k, v in od.get('objects', {}).items()}

        def rewrite(value, key=''):
            if isinstance(value, dict):
                return {k: rewrite(v, k) for k, v in value.items()}
            if isinstance(value, list):
                if key.endswith('_refs'):
                    return [ids.get(v, v) if isinstance(v, str) else v for v in value]
                return [rewrite(v) for v in value]
            if key.endswith('_ref') and isinstance(value, str):
                return ids.get(value, value)
            return value

        scos = []
        for k, v in od.get('objects', {}).items():
            sco = rewrite(copy.deepcopy(v))
            sco['id'] = ids[k]
            scos.append(sco)
        objects.append({
            'type': 'observed-data', 'id': 'observed-data--%s' % uuid.uuid5(NAMESPACE, str(i)),
            'first_observed': od['first_observed'], 'last_observed': od['last_observed'],
            'number_observed': od['number_observed'], 'object_refs': [s['id'] for s in scos]})
        objects.extend(scos)
    return [{'type': 'bundle', 'id': 'bundle--%s' % uuid.uuid5(NAMESPACE, 'b'), 'objects': objects}]


def reference_answer(pattern, observations):
    """True/False, or 'error: …' when the reference raises."""
    try:
        return bool(reference_match(pattern, as_bundle(observations), stix_version='2.1'))
    except Exception as e:
        return 'error: %s' % (str(e).splitlines()[0] if str(e) else type(e).__name__)


def run_suite():
    agreements, documented, failures, timings = 0, [], [], []
    for path in sorted(glob.glob(os.path.join(HERE, '*.json'))):
        for case in json.load(open(path)):
            where = '%s %s' % (os.path.basename(path), case['id'])
            if 'parse_error' in case:
                try:
                    errors = run_validator(case['pattern'], stix_version='2.1')
                except Exception:  # it crashes on some inputs (the empty pattern): a rejection
                    errors = ['crashed']
                ours = 'reject'
                theirs = 'reject' if errors else 'accept'
                if ours == theirs:
                    agreements += 1
                elif 'reference' in case:
                    documented.append((where, 'reference accepts', case['reference']))
                else:
                    failures.append((where, case['pattern'], 'ctihub rejects, reference accepts'))
                continue
            start = time.perf_counter()
            theirs = reference_answer(case['pattern'], case['observations'])
            timings.append(time.perf_counter() - start)
            if theirs == case['match']:
                agreements += 1
                if 'reference' in case:
                    failures.append((where, case['pattern'], 'marked as differing, but the reference agrees'))
            elif 'reference' in case:
                documented.append((where, 'reference says %s' % theirs, case['reference']))
            else:
                failures.append((where, case['pattern'], 'expected %s, reference says %s' % (case['match'], theirs)))
    return agreements, documented, failures, timings


# ---- generated corpus -----------------------------------------------------------------------

IPS = ['198.51.100.1', '198.51.100.7', '203.0.113.5', '10.1.2.3']
DOMAINS = ['evil.example', 'x1.evil.example', 'good.example', 'c2.bad.example']
NAMES = ['a.exe', 'b.dll', 'report.pdf', 'a_b.exe']


def gen_comparison(r):
    return r.choice([
        lambda: "ipv4-addr:value = '%s'" % r.choice(IPS),
        lambda: "ipv4-addr:value != '%s'" % r.choice(IPS),
        lambda: "ipv4-addr:value IN ('%s', '%s')" % (r.choice(IPS), r.choice(IPS)),
        lambda: "ipv4-addr:value ISSUBSET '%s'" % r.choice(['198.51.100.0/24', '198.51.100.0/25', '10.0.0.0/8']),
        lambda: "ipv4-addr:value LIKE '%s'" % r.choice(['198.51.%', '%.7', '203.0.113._']),
        lambda: "domain-name:value = '%s'" % r.choice(DOMAINS),
        lambda: "domain-name:value LIKE '%s'" % r.choice(['%.evil.example', '%example', 'c2.%']),
        lambda: "domain-name:value MATCHES '%s'" % r.choice(['^x[0-9]', 'bad', 'example$']),
        lambda: "domain-name:resolves_to_refs[*].value = '%s'" % r.choice(IPS),
        lambda: "network-traffic:dst_ref.value = '%s'" % r.choice(IPS),
        lambda: "network-traffic:dst_port %s %s" % (r.choice(['=', '<', '>=', '!=']), r.choice(['80', '443', '443.0'])),
        lambda: "network-traffic:protocols[*] = '%s'" % r.choice(['tcp', 'udp', 'dns']),
        lambda: "file:name = '%s'" % r.choice(NAMES),
        lambda: "file:name LIKE '%s'" % r.choice(['%.exe', 'a_b%', '_.dll']),
        lambda: "file:name NOT = '%s'" % r.choice(NAMES),
        lambda: "file:size %s %s" % (r.choice(['>', '<=', '=']), r.choice(['100', '1000.5', '4096'])),
    ])()


def gen_bracket(r, depth=0):
    x = r.random()
    if depth < 2 and x < 0.2:
        return gen_bracket(r, depth + 1) + ' AND ' + gen_bracket(r, depth + 1)
    if depth < 2 and x < 0.4:
        return '(' + gen_bracket(r, depth + 1) + ' OR ' + gen_bracket(r, depth + 1) + ')'
    return gen_comparison(r)


def gen_pattern(r):
    a = '[' + gen_bracket(r) + ']'
    if r.random() < 0.6:
        return a
    b = '[' + gen_bracket(r, 1) + ']'
    return r.choice([a + ' AND ' + b, a + ' OR ' + b, '(' + a + ' FOLLOWEDBY ' + b + ') WITHIN 600 SECONDS',
                     a + ' REPEATS 2 TIMES', '(' + a + ' AND ' + b + ') WITHIN 30 SECONDS'])


def gen_observations(r):
    out = []
    for i in range(r.randint(1, 3)):
        objs, ips = {}, []
        for k in range(r.randint(1, 4)):
            key = str(k)
            kind = r.randrange(5)
            if kind == 0:
                objs[key] = {'type': 'ipv4-addr', 'value': r.choice(IPS)}
                ips.append(key)
            elif kind == 1:
                d = {'type': 'domain-name', 'value': r.choice(DOMAINS)}
                if ips:
                    d['resolves_to_refs'] = [ips[0]]
                objs[key] = d
            elif kind == 2:
                nt = {'type': 'network-traffic', 'protocols': [r.choice(['tcp', 'udp']), r.choice(['dns', 'http'])]}
                if ips:
                    nt['dst_ref'] = ips[-1]
                if r.random() < 0.7:
                    nt['dst_port'] = r.choice([80, 443, 53, 443.0])
                objs[key] = nt
            elif kind == 3:
                f = {'type': 'file', 'name': r.choice(NAMES)}
                if r.random() < 0.5:
                    f['size'] = r.choice([100, 4096, 1000])
                objs[key] = f
            else:
                objs[key] = {'type': 'ipv4-addr', 'value': r.choice(IPS)}
                ips.append(key)
        t = '2020-01-01T00:%02d:%02dZ' % (i * 5, r.randrange(60))
        out.append({'type': 'observed-data', 'first_observed': t, 'last_observed': t,
                    'number_observed': r.choice([1, 1, 1, 2]), 'objects': objs})
    return out


def ctihub_answer(binary, pattern, observations):
    p = subprocess.run([binary, 'pattern', 'match', pattern, '-'], input=json.dumps(observations),
                       capture_output=True, text=True)
    if p.returncode == 0:
        return True
    if p.returncode == 1:
        return False
    return 'error: ' + p.stderr.strip()


def run_generated(binary, n, seed):
    r = random.Random(seed)
    agree, disagreements, ref_time, ours_time = 0, [], 0.0, 0.0
    for _ in range(n):
        pattern, observations = gen_pattern(r), gen_observations(r)
        start = time.perf_counter()
        theirs = reference_answer(pattern, observations)
        ref_time += time.perf_counter() - start
        start = time.perf_counter()
        ours = ctihub_answer(binary, pattern, observations)
        ours_time += time.perf_counter() - start
        if ours == theirs:
            agree += 1
        else:
            disagreements.append((pattern, json.dumps(observations), ours, theirs))
    return agree, disagreements, ref_time, ours_time


def main():
    args = sys.argv[1:]
    build = args[0] if args and not args[0].startswith('--') else os.path.join(ROOT, 'build')
    n = int(args[args.index('--generated') + 1]) if '--generated' in args else 500
    seed = int(args[args.index('--seed') + 1]) if '--seed' in args else 1
    agreements, documented, failures, timings = run_suite()
    print('conformance suite: %d agree with stix2-matcher, %d documented differences, %d failures'
          % (agreements, len(documented), len(failures)))
    if timings:
        print('  stix2-matcher: %.2f ms per case on average (%d cases)'
              % (1000 * sum(timings) / len(timings), len(timings)))
    for where, what, why in documented:
        print('  documented: %s: %s (%s)' % (where, what, why))
    for where, pattern, what in failures:
        print('  FAIL: %s: %s: %s' % (where, pattern, what))
    status = 1 if failures else 0
    binary = os.path.join(build, 'ctihub')
    if n > 0 and os.access(binary, os.X_OK):
        agree, disagreements, ref_time, ours_time = run_generated(binary, n, seed)
        print('generated corpus (seed %d): %d of %d agree; stix2-matcher %.2f ms per case, ctihub %.2f ms '
              'per case including process start' % (seed, agree, n, 1000 * ref_time / n, 1000 * ours_time / n))
        for pattern, obs, ours, theirs in disagreements[:20]:
            print('  DIFFERS: %s\n    ctihub %s, stix2-matcher %s\n    %s' % (pattern, ours, theirs, obs))
        if disagreements:
            status = 1
    return status


if __name__ == '__main__':
    sys.exit(main())
