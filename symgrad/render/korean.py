"""Korean wording: the particle 로/으로 after a number, and the polite 합니다 sentence style."""

import re

_DIGITS_KO = "영일이삼사오육칠팔구"
_PLACES_KO = ("", "십", "백", "천")            # within a group of four digits
_GROUPS_KO = ("", "만", "억", "조", "경")      # the groups of four digits


def _last_syllable_ko(number):
    """The last syllable of ``number`` (text such as ``12``, ``-0.64``) read aloud in Korean, or
    None for text that is not a plain decimal number (``1.2\\times 10^{-5}``, ``\\infty``, a
    symbol)."""
    m = re.fullmatch(r"[-−+]?(\d+)(?:\.(\d+))?", str(number).strip())
    if not m:
        return None
    whole, decimals = m.groups()
    if decimals:                        # read digit by digit after 점: 0.10 is 영 점 일 영
        return _DIGITS_KO[int(decimals[-1])]
    whole = whole.lstrip("0")
    if not whole:
        return "영"
    zeros = len(whole) - len(whole.rstrip("0"))
    group, place = divmod(zeros, 4)
    if group:                   # 20000 is 이만, 100000 십만, 10¹² 일조: the group is said last
        return _GROUPS_KO[group] if group < len(_GROUPS_KO) else None
    return _PLACES_KO[place] if place else _DIGITS_KO[int(whole[-1])]


def ro_particle(number):
    """The particle 로 or 으로 after ``number`` as it is read in Korean, or None when it cannot be
    told.

    으로 follows a final consonant (영, 삼, 육, 십, 백, 천, 만); 로 follows a vowel or ㄹ
    (일, 칠, 팔).
    """
    syllable = _last_syllable_ko(number)
    if syllable is None:
        return None
    final = (ord(syllable) - 0xAC00) % 28          # 0: no final consonant, 8: ㄹ
    return "로" if final in (0, 8) else "으로"


_PLAIN_END = re.compile(r"([\uac00-\ud7a3]?)([\uac00-\ud7a3])다(?=[.!?]?$|[.!?]\s)")


def _with_final(syllable, final):
    return chr(ord(syllable) - (ord(syllable) - 0xAC00) % 28 + final)


def polite_ko(text):
    """Korean sentences in the plain style (…이다. …나온다. …했다.) in the documents' 합니다 style
    (…입니다. …나옵니다. …했습니다.); sentences already in that style are left as they are."""
    def polite(m):
        before, last = m.group(1), m.group(2)
        final = (ord(last) - 0xAC00) % 28
        if last == "니" and before and (before == "습" or (ord(before) - 0xAC00) % 28 == 17):
            return m.group(0)                                  # …습니다, …ㅂ니다
        if last == "는" and before:                            # 먹는다 → 먹습니다
            return before + "습니다"
        if final in (0, 4, 8):                    # 이다, 나온다, 길다 → 입니다, 나옵니다, 깁니다
            return before + _with_final(last, 17) + "니다"
        return before + last + "습니다"                        # 했다, 맞다 → 했습니다, 맞습니다
    return _PLAIN_END.sub(polite, text)

