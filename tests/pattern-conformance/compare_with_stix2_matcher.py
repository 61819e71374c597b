#!/usr/bin/python3
"""The conformance suite and a generated corpus, side by side with the OASIS reference matcher.

    compare_with_stix2_matcher.py [--eval-cases PATH] [--generated N] [--seed S] [--show N]

1. Every case of tests/pattern-conformance/*.json goes through stix2-matcher (cases written as
   STIX 2.0 observed-data lists with stix_version 2.0, STIX 2.1 bundles with 2.1; a 2.0 case whose
   pattern the 2.0 grammar cannot read — t'' timestamps after START/STOP are 2.1 syntax — is
   converted to a bundle and run with 2.1), and every parse-error case through stix2-patterns'
   validator. The reference's answer is compared with the case's expected answer: a case where
   they differ must say why in "reference": "differs: …", and a case that says so must differ.
   With --eval-cases, the same cases also go through ctihub (tests/pattern-conformance/
   eval_cases.cc), which must give the expected answer (pattern_conformance_test checks that too).
2. N generated (pattern, observations) cases (default 3000, a seeded generator below) go through
   both. Every disagreement must be one of the documented readings of docs/pattern-semantics.md
   (known_reading() below recognises each); any other disagreement fails with the case printed.

The reference implementations are not part of ctihub and are never copied into it (see
../shared/docs/ANCHORS.md). Their sources are found through STIX2_MATCHER_SRC (a checkout of
oasis-open/cti-pattern-matcher) and STIX2_PATTERNS_SRC (oasis-open/cti-pattern-validator at tag
v2.0.0), or CTIHUB_STIX2_MATCHER_PYTHONPATH (both, ':'-separated); by default the anchors' checkouts
under /work/anchors/src, then the fetch tool's /work/.mirror/<owner>+<name>/repo when it holds a
work tree. They need Debian's python3-antlr4, python3-dateutil, python3-deepmerge and python3-six
(scripts/setup installs them). Exit status: 77 (skipped) when they cannot be imported, 1 on an
undocumented disagreement, 0 otherwise.
"""
import copy
import glob
import ipaddress
import json
import os
import random
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def reference_path():
    if os.environ.get('CTIHUB_STIX2_MATCHER_PYTHONPATH'):
        return os.environ['CTIHUB_STIX2_MATCHER_PYTHONPATH'].split(':')
    candidates = {
        'STIX2_MATCHER_SRC': ['/work/anchors/src/cti-pattern-matcher',
                              '/work/.mirror/oasis-open+cti-pattern-matcher/repo'],
        'STIX2_PATTERNS_SRC': ['/work/anchors/src/cti-pattern-validator-v2.0.0',
                               '/work/.mirror/oasis-open+cti-pattern-validator/repo'],
    }
    package = {'STIX2_MATCHER_SRC': 'stix2matcher', 'STIX2_PATTERNS_SRC': 'stix2patterns'}
    path = []
    for var, defaults in candidates.items():
        if os.environ.get(var):
            path.append(os.environ[var])
            continue
        for d in defaults:
            if os.path.isfile(os.path.join(d, package[var], '__init__.py')):
                path.append(d)
                break
    return path


sys.path[:0] = reference_path()
try:
    from stix2matcher.matcher import match as reference_match
    from stix2patterns.validator import run_validator
except Exception as e:  # any import problem means the reference is not available here
    print('SKIP: cannot import stix2-matcher / stix2-patterns (%s). Set STIX2_MATCHER_SRC to a '
          'checkout of oasis-open/cti-pattern-matcher and STIX2_PATTERNS_SRC to one of '
          'oasis-open/cti-pattern-validator v2.0.0 (see ../shared/docs/ANCHORS.md).' % e)
    sys.exit(77)

NAMESPACE = uuid.UUID('6ba7b811-9dad-11d1-80b4-00c04fd430c8')


def is_bundle(observations):
    return isinstance(observations, dict) and observations.get('type') == 'bundle'


def as_bundle(observations):
    """STIX 2.1 form of 2.0-style observations: `objects` dictionaries become SCOs with ids and
    object_refs, references rewritten to those ids."""
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


def first_line(e):
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def reference_answer(pattern, observations):
    """(True/False or 'error: …', the STIX version the reference ran with)."""
    if not is_bundle(observations):
        try:
            return bool(reference_match(pattern, observations, stix_version='2.0')), '2.0'
        except Exception as e:
            # The 2.0 grammar lacks some 2.1 syntax (t'' after START/STOP): run as 2.1.
            if not run_validator(pattern, stix_version='2.0') and 'Invalid' not in str(e):
                return 'error: %s' % first_line(e), '2.0'
    try:
        return bool(reference_match(pattern, as_bundle(observations), stix_version='2.1')), '2.1'
    except Exception as e:
        return 'error: %s' % first_line(e), '2.1'


def ctihub_answers(eval_cases, cases):
    """ctihub's answers for [(pattern, observations)] through one eval_cases process, and the
    evaluator's own time in seconds (parsing the pattern and observations included)."""
    lines = ''.join(json.dumps({'pattern': p, 'observations': o}) + '\n' for p, o in cases)
    run = subprocess.run([eval_cases], input=lines, capture_output=True, text=True, check=True)
    answers = [True if a == 'true' else False if a == 'false' else a
               for a in run.stdout.splitlines()]
    if len(answers) != len(cases):
        raise RuntimeError('eval_cases gave %d answers for %d cases' % (len(answers), len(cases)))
    spent = 0.0
    parts = run.stderr.strip().split()
    if 'ms' in parts:
        spent = float(parts[parts.index('ms') - 1]) / 1000
    return answers, spent


# ---- the conformance suite ----------------------------------------------------------------

def load_suite():
    for path in sorted(glob.glob(os.path.join(HERE, '*.json'))):
        for case in json.load(open(path)):
            yield os.path.basename(path), case


def run_suite(eval_cases):
    stats = {'cases': 0, 'agree': 0, 'documented': [], 'failures': [], 'reference_errors': 0,
             'timings': [], 'modes': {'2.0': 0, '2.1': 0}, 'ctihub_time': 0.0, 'evaluated': 0}
    match_cases = []
    for file, case in load_suite():
        stats['cases'] += 1
        where = '%s %s' % (file, case['id'])
        marked = 'reference' in case
        if 'parse_error' in case:
            try:
                errors = run_validator(case['pattern'], stix_version='2.1')
            except Exception:  # it crashes on some inputs (the empty pattern): a rejection
                errors = ['crashed']
            agrees = bool(errors)
            theirs = 'rejects' if errors else 'accepts'
        else:
            match_cases.append((where, case))
            start = time.perf_counter()
            theirs, mode = reference_answer(case['pattern'], case['observations'])
            stats['timings'].append(time.perf_counter() - start)
            stats['modes'][mode] += 1
            if isinstance(theirs, str):
                stats['reference_errors'] += 1
            agrees = theirs == case['match']
        if agrees and not marked:
            stats['agree'] += 1
        elif agrees:
            stats['failures'].append((where, case['pattern'],
                                      'marked "differs", but the reference agrees (%s)' % theirs))
        elif marked:
            stats['documented'].append((where, 'reference %s' % theirs, case['reference']))
        else:
            expected = 'rejects' if 'parse_error' in case else case['match']
            stats['failures'].append((where, case['pattern'],
                                      'expected %s, reference %s' % (expected, theirs)))
    if eval_cases:
        answers, spent = ctihub_answers(eval_cases,
                                        [(c['pattern'], c['observations']) for _, c in match_cases])
        stats['ctihub_time'] = spent
        stats['evaluated'] = len(answers)
        for (where, case), ours in zip(match_cases, answers):
            if ours != case['match']:
                stats['failures'].append((where, case['pattern'],
                                          'expected %s, ctihub says %s' % (case['match'], ours)))
    return stats


# ---- the generated corpus -----------------------------------------------------------------
# Values are drawn from small pools so that comparisons hit as often as they miss.

IPS = ['198.51.100.1', '198.51.100.7', '203.0.113.5', '10.1.2.3', '198.51.100.0/25']
IP6S = ['2001:db8::1', '2001:db8:1::5', 'fe80::1']
DOMAINS = ['evil.example', 'x1.evil.example', 'good.example', 'c2.bad.example', 'EVIL.example']
NAMES = ['a.exe', 'b.dll', 'report.pdf', 'a_b.exe', 'it\'s.txt', 'C:\\x.bat', '']
MD5S = ['79054025255fb1a26e4bc422aef54eb4', 'cead3f77f6cda6ec00f57d76c9a6879f']
TIMES = ['2020-01-01T00:00:00Z', '2020-01-01T00:00:00.5Z', '2020-06-01T12:00:00.000Z',
         '2019-12-31T23:59:59Z']
HEXES = ['ffd8', '504b0304', '25504446', '']
SECONDS = [1, 5, 30, 60, 300, 2.5]


def q(s):
    return "'" + s.replace('\\', '\\\\').replace("'", "\\'") + "'"


def gen_literal(r):
    return r.choice([
        lambda: q(r.choice(NAMES + DOMAINS)), lambda: str(r.choice([0, 1, 80, 443, -1, 4096])),
        lambda: r.choice(['443.0', '0.5', '-1.5', '4096.0']), lambda: r.choice(['true', 'false']),
        lambda: "t'%s'" % r.choice(TIMES), lambda: "h'%s'" % r.choice(HEXES),
        lambda: r.choice(["b'/9g='", "b'UEsDBA=='", "b'JVBERg=='"])])()


def gen_comparison(r):
    neg = 'NOT ' if r.random() < 0.12 else ''
    return r.choice([
        lambda: "ipv4-addr:value %s= %s" % (neg, q(r.choice(IPS))),
        lambda: "ipv4-addr:value != %s" % q(r.choice(IPS)),
        lambda: "ipv4-addr:value %sIN (%s, %s)" % (neg, q(r.choice(IPS)), q(r.choice(IPS))),
        lambda: "ipv4-addr:value %sISSUBSET %s" % (neg, q(r.choice(
            ['198.51.100.0/24', '198.51.100.0/25', '10.0.0.0/8', '198.51.100.1', '203.0.113.0/31']))),
        lambda: "ipv4-addr:value ISSUPERSET %s" % q(r.choice(['198.51.100.7/32', '198.51.100.1/32'])),
        lambda: "ipv4-addr:value %sLIKE %s" % (neg, q(r.choice(['198.51.%', '%.7', '203.0.113._', '%/25']))),
        lambda: "ipv6-addr:value %s= %s" % (neg, q(r.choice(IP6S))),
        lambda: "domain-name:value %s= %s" % (neg, q(r.choice(DOMAINS))),
        lambda: "domain-name:value %sLIKE %s" % (neg, q(r.choice(['%.evil.example', '%example', 'c2.%', '_1.%', '%.EVIL%']))),
        lambda: "domain-name:value %sMATCHES %s" % (neg, q(r.choice(['^x[0-9]', 'bad', 'example$', '(?i)^evil', '^[a-z0-9.]+$']))),
        lambda: "domain-name:value %s %s" % (r.choice(['<', '<=', '>', '>=']), q(r.choice(DOMAINS))),
        lambda: "domain-name:resolves_to_refs[*].value %s= %s" % (neg, q(r.choice(IPS))),
        lambda: "domain-name:resolves_to_refs[%d].value = %s" % (r.choice([0, 1]), q(r.choice(IPS))),
        lambda: "network-traffic:dst_ref.value %s= %s" % (neg, q(r.choice(IPS))),
        lambda: "network-traffic:dst_ref.value ISSUBSET %s" % q(r.choice(['198.51.100.0/24', '10.0.0.0/8'])),
        lambda: "network-traffic:src_ref.type = %s" % q(r.choice(['ipv4-addr', 'domain-name'])),
        lambda: "network-traffic:dst_port %s %s" % (r.choice(['=', '!=', '<', '<=', '>', '>=']), r.choice(['80', '443', '443.0', "'443'"])),
        lambda: "network-traffic:dst_port %sIN (%s)" % (neg, ', '.join(r.sample(['80', '443', '53.0'], 2))),
        lambda: "network-traffic:dst_port %sIN (%s)" % (neg, ', '.join(r.sample(['80', '443', '53.0', "'443'", 'true'], 2))),
        lambda: "network-traffic:protocols[*] %s= %s" % (neg, q(r.choice(['tcp', 'udp', 'dns']))),
        lambda: "network-traffic:protocols[%d] = %s" % (r.choice([0, 1, 2]), q(r.choice(['tcp', 'dns']))),
        lambda: "%sEXISTS network-traffic:%s" % ('NOT ' if r.random() < 0.3 else '', r.choice(['dst_port', 'dst_ref.value', 'src_ref', 'x_missing'])),
        lambda: "file:name %s= %s" % (neg, q(r.choice(NAMES))),
        lambda: "file:name %sLIKE %s" % (neg, q(r.choice(['%.exe', 'a_b%', '_.dll', '%\\%', 'it\'%', '%']))),
        lambda: "file:name %sMATCHES %s" % (neg, q(r.choice(['\\.exe$', '^a', '\\\\', "'", '^$']))),
        lambda: "file:name %s %s" % (r.choice(['<', '>=', '=', '!=']), gen_literal(r)),
        lambda: "file:size %s %s" % (r.choice(['>', '<=', '=', '!=', '<', '>=']), r.choice(['100', '1000.5', '4096', '0', '-1'])),
        lambda: "file:size %s %s" % (r.choice(['=', '!=', '<']), gen_literal(r)),
        lambda: "file:hashes.MD5 %s= %s" % (neg, q(r.choice(MD5S))),
        lambda: "file:hashes.'SHA-256' %s" % r.choice(["LIKE 'aa%'", "!= '%s'" % ('aa' * 32), "= '%s'" % ('aa' * 32)]),
        lambda: "file:created %s t'%s'" % (r.choice(['=', '!=', '<', '<=', '>', '>=']), r.choice(TIMES)),
        lambda: "file:created %s %s" % (r.choice(['=', '<']), q(r.choice(TIMES))),
        lambda: "file:magic_number_hex %s %s" % (r.choice(['=', '!=', '<', '>=']), r.choice(["h'ffd8'", "h'504b0304'", "b'/9g='", "'PK\\u0003\\u0004'", "'%PDF'"])),
        lambda: "file:magic_number_hex %s %s" % (r.choice(['LIKE', 'MATCHES']), q(r.choice(['%PDF', 'PK%', '^PK', 'PDF$']))),
        lambda: "artifact:payload_bin %s" % r.choice(["= h'504b0304'", "!= b'UEsDBA=='", "= 'PK\u0003\u0004'",
                                                    "IN (h'00', h'504b0304')", "NOT IN ('a', 'b')", "IN ('a', h'504b0304')"]),
        lambda: "file:is_signed %s %s" % (r.choice(['=', '!=']), r.choice(['true', 'false', '1', "'true'"])),
        lambda: "file:tags[*] %s %s" % (r.choice(['=', '!=', 'NOT =', 'LIKE']), q(r.choice(['x', 'y', '%x%']))),
        lambda: "file:parent_directory_ref.path %s %s" % (r.choice(['=', 'LIKE', 'MATCHES']), q(r.choice(['C:\\tmp', 'C:%', '^C:\\\\', '/tmp']))),
    ])()


def gen_bracket(r, depth=0):
    x = r.random()
    if depth < 2 and x < 0.2:
        return gen_bracket(r, depth + 1) + ' AND ' + gen_bracket(r, depth + 1)
    if depth < 2 and x < 0.38:
        return '(' + gen_bracket(r, depth + 1) + ' OR ' + gen_bracket(r, depth + 1) + ')'
    return gen_comparison(r)


def gen_qualifier(r):
    return r.choice([
        lambda: ' WITHIN %s SECONDS' % r.choice(SECONDS),
        lambda: ' REPEATS %d TIMES' % r.choice([1, 2, 3]),
        lambda: " START t'2020-01-01T00:00:%02dZ' STOP t'2020-01-01T00:%02d:00Z'" % (r.choice([0, 5, 30]), r.choice([1, 5, 10])),
    ])()


def gen_observation_expression(r, depth=0):
    x = r.random()
    if depth >= 2 or x < 0.45:
        e = '[' + gen_bracket(r, 1 if depth else 0) + ']'
    else:
        op = r.choice([' AND ', ' OR ', ' FOLLOWEDBY '])
        e = '(' + gen_observation_expression(r, depth + 1) + op + gen_observation_expression(r, depth + 1) + ')'
    if r.random() < 0.25:
        e = e + gen_qualifier(r)
        if r.random() < 0.2:
            e = '(' + e + ')' + gen_qualifier(r)
    return e


def gen_pattern(r):
    if r.random() < 0.4:
        return '[' + gen_bracket(r) + ']'
    return gen_observation_expression(r)


def gen_objects(r):
    objs, ips = {}, []
    for k in range(r.randint(1, 5)):
        key = str(k)
        kind = r.randrange(7)
        if kind in (0, 5):
            objs[key] = {'type': 'ipv4-addr', 'value': r.choice(IPS)}
            ips.append(key)
        elif kind == 1:
            d = {'type': 'domain-name', 'value': r.choice(DOMAINS)}
            if ips:
                d['resolves_to_refs'] = r.sample(ips, min(len(ips), r.randint(1, 2)))
                if r.random() < 0.2:
                    d['resolves_to_refs'].insert(0, '99')  # unresolved
            objs[key] = d
        elif kind == 2:
            nt = {'type': 'network-traffic', 'protocols': r.sample(['tcp', 'udp', 'dns', 'http'], r.randint(1, 3))}
            if ips:
                nt['dst_ref'] = ips[-1]
                nt['src_ref'] = ips[0]
            if r.random() < 0.7:
                nt['dst_port'] = r.choice([80, 443, 53, 443.0, '443'])
            objs[key] = nt
        elif kind == 3:
            f = {'type': 'file', 'name': r.choice(NAMES)}
            for prop, values in (('size', [100, 4096, 1000.5, 0, -1, '100']),
                                 ('created', TIMES + ['not a time', 1577836800]),
                                 ('magic_number_hex', HEXES),
                                 ('is_signed', [True, False, 1]),
                                 ('tags', [['x'], ['x', 'y'], [], ['yx']]),
                                 ('hashes', [{'MD5': MD5S[0]}, {'MD5': MD5S[1], 'SHA-256': 'aa' * 32}])):
                if r.random() < 0.45:
                    f[prop] = copy.deepcopy(r.choice(values))
            if r.random() < 0.3:
                objs[key + 'd'] = {'type': 'directory', 'path': r.choice(['C:\\tmp', '/tmp'])}
                f['parent_directory_ref'] = key + 'd'
            objs[key] = f
        elif kind == 4:
            objs[key] = {'type': 'artifact', 'payload_bin': r.choice(['UEsDBA==', 'JVBERg==', ''])}
        else:
            objs[key] = {'type': 'ipv6-addr', 'value': r.choice(IP6S)}
    return objs


def gen_observations(r):
    out = []
    for i in range(r.randint(1, 4)):
        start = r.choice([0, 1, 2, 5, 10, 30, 60, 120, 400]) + 20 * i * r.random()
        end = start + r.choice([0, 0, 0, 1, 5, 100])

        def ts(sec):
            whole, frac = int(sec), int(round((sec - int(sec)) * 1000))
            return '2020-01-01T%02d:%02d:%02d.%03dZ' % (whole // 3600, whole // 60 % 60, whole % 60, frac)
        out.append({'type': 'observed-data', 'first_observed': ts(start), 'last_observed': ts(end),
                    'number_observed': r.choice([1, 1, 1, 2, 3]), 'objects': gen_objects(r)})
    if r.random() < 0.3:
        return as_bundle(out)[0]  # the same observations as a STIX 2.1 bundle
    return out


# Documented readings (docs/pattern-semantics.md, "Where ctihub and stix2-matcher differ"):
# a generated disagreement is accepted when one of these explains it.
def known_reading(pattern, observations, ours, theirs):
    if isinstance(ours, str):
        return None  # ctihub errors are never a documented reading
    if isinstance(theirs, str):
        if 'Invalid IPv4 address' in theirs or 'Invalid CIDR subnet' in theirs:
            return 'ISSUBSET/ISSUPERSET: reference raises on IPv6, /0 or a plain address'
        if 'Invalid timestamp in JSON' in theirs:
            return 'timestamp literal vs a non-timestamp JSON value: not equal, no error'
        if 'Nonhomogenous set' in theirs:
            return 'IN with members of different types: compared member by member, no error'
        if 'NOT' in theirs and 'EXISTS' in pattern:
            return 'NOT EXISTS: not in the reference grammar'
        if "codec can't decode" in theirs and 'LIKE' in pattern:
            return 'LIKE on binary data that is not UTF-8: reference raises; ctihub reads the bytes as Latin-1'
        if 'EXISTS' in pattern and ('unsupported operand' in theirs or 'dictionary update' in theirs):
            return 'EXISTS with AND/OR in one bracket: reference raises a TypeError'
    return None


def run_generated(eval_cases, n, seed, show):
    r = random.Random(seed)
    cases = [(gen_pattern(r), gen_observations(r)) for _ in range(n)]
    start = time.perf_counter()
    reference = [reference_answer(p, o)[0] for p, o in cases]
    ref_time = time.perf_counter() - start
    start = time.perf_counter()
    ours, our_time = ctihub_answers(eval_cases, cases)
    process_time = time.perf_counter() - start
    agree, documented, undocumented = 0, {}, []
    for (p, o), mine, theirs in zip(cases, ours, reference):
        if mine == theirs or (isinstance(mine, str) and isinstance(theirs, str)
                              and (mine.startswith('error: invalid-argument: offset')
                                   and 'Invalid' not in theirs and 'Nonhomogenous' not in theirs)):
            agree += 1  # the same answer, or both reject the pattern as malformed
            continue
        why = known_reading(p, o, mine, theirs)
        if why:
            documented[why] = documented.get(why, 0) + 1
        else:
            undocumented.append((p, o, mine, theirs))
    matches = sum(1 for a in reference if a is True)
    errors = sum(1 for a in reference if isinstance(a, str))
    print('generated corpus (seed %d): %d cases (reference: %d match, %d no match, %d errors); '
          '%d agree, %d documented readings, %d undocumented disagreements'
          % (seed, n, matches, n - matches - errors, errors, agree,
             sum(documented.values()), len(undocumented)))
    print('  time per case: stix2-matcher %.3f ms, ctihub %.4f ms evaluating (%.3f ms with '
          'JSON lines through one eval_cases process)'
          % (1000 * ref_time / n, 1000 * our_time / n, 1000 * process_time / n))
    for why, count in sorted(documented.items()):
        print('  documented (%d): %s' % (count, why))
    for p, o, mine, theirs in undocumented[:show]:
        print('  DIFFERS: %s\n    ctihub %s, stix2-matcher %s\n    %s' % (p, mine, theirs, json.dumps(o)))
    return not undocumented


def main():
    args = sys.argv[1:]

    def option(name, default):
        return args[args.index(name) + 1] if name in args else default
    eval_cases = option('--eval-cases', os.path.join(ROOT, 'build', 'tests', 'pattern_eval_cases'))
    if not os.access(eval_cases, os.X_OK):
        print('note: %s is not built; comparing the suite with the reference only' % eval_cases)
        eval_cases = None
    n = int(option('--generated', '3000'))
    seed = int(option('--seed', '1'))
    show = int(option('--show', '20'))

    s = run_suite(eval_cases)
    print('conformance suite: %d cases; %d agree with the reference, %d documented differences, '
          '%d failures; reference errors on %d cases; reference ran %d cases as STIX 2.0, %d as 2.1'
          % (s['cases'], s['agree'], len(s['documented']), len(s['failures']),
             s['reference_errors'], s['modes']['2.0'], s['modes']['2.1']))
    if s['timings']:
        line = '  time per case: stix2-matcher %.3f ms' % (1000 * sum(s['timings']) / len(s['timings']))
        if s['evaluated']:
            line += ', ctihub %.4f ms evaluating' % (1000 * s['ctihub_time'] / s['evaluated'])
        print(line + ' (%d cases with observations)' % len(s['timings']))
    for where, what, why in s['documented']:
        print('  documented: %s: %s (%s)' % (where, what, why))
    for where, pattern, what in s['failures']:
        print('  FAIL: %s: %s: %s' % (where, pattern, what))
    ok = not s['failures']
    if n > 0 and eval_cases:
        ok = run_generated(eval_cases, n, seed, show) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
