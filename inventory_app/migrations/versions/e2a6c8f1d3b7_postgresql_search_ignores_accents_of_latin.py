"""PostgreSQL's search ignores the accents of every Latin letter, as SQLite's does: "gdansk" finds "Gdańsk"

SQLite's FTS5 index (unicode61 remove_diacritics 2) ignores the accents of every Latin letter that
Unicode decomposes ("ń", "ő", "ş", "ă", "ș", "ộ"), PostgreSQL's index only those of Latin-1 (c9e2b7a4f310:
Portuguese, Spanish, French, German), so the same search found other items on each: "gdansk" found
"Gdańsk" on SQLite only. The GIN index behind the search is made again with translate()'s list
grown to the same letters as FTS5's; inventory_app/search.py queries exactly that expression
(PG_DOCUMENT) and takes the same accents away from the words searched.

translate() looks each character of the text up in its list one entry after the other: with the 490
letters in it, working the expression out for 100,000 items took 7 times as long (21 to 35 s, against
3 to 5 s with Latin-1's 53). The letters and digits most text is made of (KEPT) now come first in
the list, mapped to themselves, so a plain letter is found in a few steps: the expression costs what
Latin-1's did (3 to 6 s; with Portuguese text, 6.3 to 6.9 s against 5.3 to 10.8 s), and this upgrade
took 10.7 and 11.7 s on 100,000 items (the downgrade to the Latin-1 index 16.1 and 11.9 s), on a
2-core machine shared with other work (load average 7). The catalog takes no writes meanwhile.

The letters are spelled out here, as search.py spells them, so this revision makes the same index
whatever search.py becomes.

Revision ID: e2a6c8f1d3b7
Revises: d5b8e1f4a927
Create Date: 2026-12-07 22:20:00

"""
from alembic import op

revision = 'e2a6c8f1d3b7'
down_revision = 'd5b8e1f4a927'
branch_labels = None
depends_on = None

#: every Latin letter FTS5 takes the accents away from, and its base letter
ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝà"  # Latin-1 Supplement
    "áâãäåçèéêëìíîïñòóôõöùúûüýÿ"
    "ĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨ"  # Latin Extended-A
    "ĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚ"
    "śŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ"
    "ƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃ"  # Latin Extended-B
    "ȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
    "ḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰ"  # Latin Extended Additional
    "ḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡ"
    "ṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒ"
    "ẓẔẕẖẗẘẙẛẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈ"
    "ỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
    "KÅ"  # Letterlike Symbols (the Kelvin and Angstrom signs)
)
UNACCENTED = (
    "AAAAAACEEEEIIIINOOOOOUUUUYa"  # Latin-1 Supplement
    "aaaaaceeeeiiiinooooouuuuyy"
    "AaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhI"  # Latin Extended-A
    "iIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrS"
    "sSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzs"
    "OoUuAaIiOoUuUuUuUuUuAaGgKkOoOojGgNnAaAaAa"  # Latin Extended-B
    "EeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy"
    "AaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiK"  # Latin Extended Additional
    "kKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSs"
    "SsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZ"
    "zZzhtwysAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeI"
    "iIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy"
    "KA"  # Letterlike Symbols (the Kelvin and Angstrom signs)
)
#: the accented letters of Latin-1 and their base letters, the list d5b8e1f4a927 made the index with
LATIN_1_ACCENTED = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
LATIN_1_UNACCENTED = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyy"
KEPT = " eaosrnidmutclpvghqbfzjxkwyEAOSRNIDMUTCLPVGHQBFZJXKWY0123456789"
JOINERS = "./@-+<>&~"
SEARCH_INDEX = """CREATE INDEX ix_inventory_search ON inventory
    USING gin (to_tsvector('simple', translate(name || ' ' || description, '{}', '{}'))) WHERE archived_at IS NULL"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_inventory_search")
        op.execute(SEARCH_INDEX.format(KEPT + ACCENTED + JOINERS, KEPT + UNACCENTED + " " * len(JOINERS)))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_inventory_search")
        op.execute(SEARCH_INDEX.format(LATIN_1_ACCENTED + JOINERS, LATIN_1_UNACCENTED + " " * len(JOINERS)))
