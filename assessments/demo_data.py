"""The demo content that `manage.py seed_demo` loads: plain data, no ORM.

Questions are keyed by (test title, prompt) when seeding, so editing an option, an explanation or a
difficulty here updates the row in place on the next run; editing a prompt makes a new question and
retires the old one.
"""

from typing import Literal, TypedDict

DifficultyValue = Literal["easy", "medium", "hard"]
FeedbackValue = Literal["none", "correctness", "full"]
RoleValue = Literal["admin", "recruiter", "candidate"]

# The window every demo test gets, relative to the moment seed_demo runs.
OPENS_DAYS_AGO = 1
CLOSES_IN_DAYS = 90


class DemoUser(TypedDict):
    username: str
    password: str
    email: str
    first_name: str
    role: RoleValue


class DemoQuestion(TypedDict):
    prompt: str
    options: list[str]
    correct: int  # index into options
    explanation: str
    difficulty: DifficultyValue


class DemoSkill(TypedDict):
    name: str
    weight: float
    difficulty: DifficultyValue
    questions: list[DemoQuestion]


class DemoTest(TypedDict):
    title: str
    description: str
    job_description: str
    total_questions: int
    time_limit_minutes: int
    max_attempts: int
    pass_percentage: float
    feedback_mode: FeedbackValue
    skills: list[DemoSkill]


# Fixed passwords for a local demo only. seed_demo resets them on every run.
USERS: list[DemoUser] = [
    {
        "username": "admin",
        "password": "jatayu-admin-demo",
        "email": "admin@example.com",
        "first_name": "Admin",
        "role": "admin",
    },
    {
        "username": "recruiter",
        "password": "jatayu-recruiter-demo",
        "email": "recruiter@example.com",
        "first_name": "Riya",
        "role": "recruiter",
    },
    {
        "username": "alice",
        "password": "jatayu-alice-demo",
        "email": "alice@example.com",
        "first_name": "Alice",
        "role": "candidate",
    },
    {
        "username": "bob",
        "password": "jatayu-bob-demo",
        "email": "bob@example.com",
        "first_name": "Bob",
        "role": "candidate",
    },
    {
        "username": "carol",
        "password": "jatayu-carol-demo",
        "email": "carol@example.com",
        "first_name": "Carol",
        "role": "candidate",
    },
]


def q(prompt: str, options: list[str], correct: int, explanation: str, difficulty: DifficultyValue) -> DemoQuestion:
    return {
        "prompt": prompt,
        "options": options,
        "correct": correct,
        "explanation": explanation,
        "difficulty": difficulty,
    }


PYTHON_LANGUAGE: list[DemoQuestion] = [
    q(
        "What does `len({1, 2, 2, 3})` return?",
        ["4", "3", "2", "It raises TypeError"],
        1,
        "A set keeps one copy of each element, so the set is {1, 2, 3}.",
        "easy",
    ),
    q(
        "Which of these built-in types is immutable?",
        ["list", "dict", "set", "tuple"],
        3,
        "Tuples cannot be changed after creation; lists, dicts and sets can.",
        "easy",
    ),
    q(
        "What is the difference between `a is b` and `a == b`?",
        [
            "`is` checks identity (the same object); `==` checks equality via __eq__",
            "`is` checks equality; `==` checks identity",
            "They are the same for all objects",
            "`is` compares types; `==` compares values",
        ],
        0,
        "`is` is true only when both names refer to the very same object; `==` asks the objects whether they are equal.",
        "easy",
    ),
    q(
        "What does `[x * 2 for x in range(5) if x % 2]` evaluate to?",
        ["[0, 4, 8]", "[1, 3]", "[2, 6]", "[2, 6, 10]"],
        2,
        "`x % 2` is truthy for odd x, so only 1 and 3 are kept and doubled.",
        "medium",
    ),
    q(
        "Given `def add(item, bucket=[]): bucket.append(item); return bucket`, what does `add(2)` return if `add(1)` was called just before?",
        ["[2]", "[2, 1]", "None", "[1, 2]"],
        3,
        "A default value is evaluated once, when the function is defined, so every call shares the same list. Use `bucket=None` and create the list inside.",
        "medium",
    ),
    q(
        "What does calling a generator function return?",
        [
            "The first yielded value",
            "A list of all the yielded values",
            "A generator object; the body runs only as the generator is iterated",
            "None until the function finishes",
        ],
        2,
        "Calling a function that contains `yield` runs none of its body; it returns a generator that runs up to each `yield` on demand.",
        "medium",
    ),
    q(
        "In the standard CPython build, what does the Global Interpreter Lock (GIL) do?",
        [
            "It lets only one thread execute Python bytecode at a time within a process",
            "It makes every Python operation atomic across processes",
            "It stops threads from speeding up I/O-bound work",
            "It locks the interpreter while the garbage collector runs in another process",
        ],
        0,
        "Threads still help with I/O because the GIL is released while waiting; CPU-bound work needs processes (or the free-threaded build).",
        "medium",
    ),
    q(
        "Why is `functools.wraps` used when writing a decorator?",
        [
            "It caches the wrapped function's results",
            "It makes the decorator usable on classes",
            "It turns the wrapper into a coroutine",
            "It copies the wrapped function's name, docstring and other metadata onto the wrapper",
        ],
        3,
        "Without it the decorated function reports the wrapper's __name__ and __doc__, which confuses debugging, logging and introspection.",
        "medium",
    ),
    q(
        "In `try: ... except ValueError: ... else: ... finally: ...`, when does the `else` block run?",
        [
            "Only when the try block raised an exception that was not caught",
            "Only when the try block finished without raising an exception",
            "Always, right before finally",
            "Only when the except block re-raised",
        ],
        1,
        "`else` runs when the try block completed normally; `finally` runs in every case.",
        "medium",
    ),
    q(
        "After `a = [[0] * 2] * 2` and `a[0][0] = 1`, what is `a`?",
        ["[[1, 0], [0, 0]]", "[[1, 0], [1, 0]]", "[[1, 1], [0, 0]]", "It raises TypeError"],
        1,
        "Multiplying the outer list repeats a reference to the same inner list, so both rows change. Use `[[0] * 2 for _ in range(2)]`.",
        "hard",
    ),
    q(
        "Given `class A: pass`, `class B(A): pass`, `class C(A): pass` and `class D(B, C): pass`, what is the method resolution order of D?",
        ["D, B, A, C, object", "D, C, B, A, object", "D, B, C, A, object", "D, A, B, C, object"],
        2,
        "C3 linearisation keeps the base order (B before C) and puts a shared base (A) after all its subclasses.",
        "hard",
    ),
]

DJANGO_ORM: list[DemoQuestion] = [
    q(
        "Which command writes new migration files from changes to your models?",
        [
            "python manage.py migrate",
            "python manage.py sqlmigrate",
            "python manage.py makemigrations",
            "python manage.py syncdb",
        ],
        2,
        "`makemigrations` writes the migration files; `migrate` applies them to the database.",
        "easy",
    ),
    q(
        "When is a Django QuerySet evaluated, that is, when does it run its SQL?",
        [
            "As soon as `filter()` is called",
            "Only when `.execute()` is called on it",
            "When the model module is imported",
            "When it is iterated, converted with list(), measured with len(), or tested for truth",
        ],
        3,
        "QuerySets are lazy: building and chaining them runs no SQL until the results are needed.",
        "easy",
    ),
    q(
        "What does `select_related('author')` do on a queryset of books?",
        [
            "Fetches each book's author in the same query with a SQL JOIN",
            "Runs one extra query for all authors and joins them in Python",
            "Selects only the author column",
            "Locks the author rows",
        ],
        0,
        "select_related follows foreign keys and one-to-one relations with a JOIN; prefetch_related handles many-valued relations with a separate query.",
        "medium",
    ),
    q(
        "You loop over 100 orders and call `order.items.all()` for each (items has a ForeignKey to Order). Which queryset avoids 100 extra queries?",
        [
            "Order.objects.select_related('items')",
            "Order.objects.prefetch_related('items')",
            "Order.objects.only('items')",
            "Order.objects.defer('items')",
        ],
        1,
        "`items` is a reverse, many-valued relation, which a JOIN cannot follow; prefetch_related loads all items in one extra query.",
        "medium",
    ),
    q(
        "Which code increments a post's view counter without a read-modify-write race?",
        [
            "post.views += 1; post.save()",
            "Post.objects.get(pk=pk).views + 1",
            "Post.objects.filter(pk=pk).values('views')",
            "Post.objects.filter(pk=pk).update(views=F('views') + 1)",
        ],
        3,
        "An F() expression makes the database compute the new value in one UPDATE, so concurrent increments are not lost.",
        "medium",
    ),
    q(
        "Inside `transaction.atomic()`, what does `Account.objects.select_for_update().get(pk=1)` do?",
        [
            "Locks the row until the transaction ends, so concurrent writers wait",
            "Updates the row as soon as it is selected",
            "Caches the row for later updates",
            "Makes the row read-only for everyone, including this transaction",
        ],
        0,
        "It issues SELECT ... FOR UPDATE: other transactions that try to lock or modify the row block until this one commits or rolls back.",
        "medium",
    ),
    q(
        "What does `transaction.on_commit(fn)` guarantee?",
        [
            "fn runs immediately in a background thread",
            "fn runs after the current transaction commits, and not at all if it rolls back",
            "fn runs just before the transaction commits",
            "fn runs whether or not the transaction commits",
        ],
        1,
        "It is the safe place to send emails, events or tasks that must only happen when the data is really saved.",
        "medium",
    ),
    q(
        "Which middleware must come before `AuthenticationMiddleware` in MIDDLEWARE?",
        ["CommonMiddleware", "SessionMiddleware", "SecurityMiddleware", "XFrameOptionsMiddleware"],
        1,
        "AuthenticationMiddleware sets request.user from the session, so SessionMiddleware has to run first.",
        "medium",
    ),
    q(
        "Which statement about model validation is true?",
        [
            "save() calls full_clean() automatically",
            "Field validators run on every QuerySet.update()",
            "ModelForm skips the model's clean() method",
            "full_clean() runs field validation, clean() and uniqueness/constraint checks; save() does not call it",
        ],
        3,
        "Model forms call full_clean() for you; code that saves models directly has to call it itself.",
        "hard",
    ),
    q(
        "`Author.objects.annotate(n=Count('books')).filter(n__gt=2)` puts the `n > 2` condition in which SQL clause?",
        ["WHERE", "ORDER BY", "HAVING", "A subquery in SELECT"],
        2,
        "A filter on an aggregate annotation applies to groups after aggregation, which SQL expresses with HAVING.",
        "hard",
    ),
]

SQL_DATABASES: list[DemoQuestion] = [
    q(
        "Which join returns every row of the left table, with NULLs where the right table has no match?",
        ["INNER JOIN", "CROSS JOIN", "RIGHT SEMI JOIN", "LEFT OUTER JOIN"],
        3,
        "A LEFT (OUTER) JOIN keeps all left rows; an INNER JOIN keeps only the rows that match on both sides.",
        "easy",
    ),
    q(
        "Which condition is true when the column `x` is NULL?",
        ["x = NULL", "x == NULL", "x IS NULL", "NOT x"],
        2,
        "Any comparison with NULL using = yields NULL (unknown), never true; use IS NULL / IS NOT NULL.",
        "easy",
    ),
    q(
        "What does the A in ACID stand for?",
        [
            "Atomicity: a transaction's changes are applied all together or not at all",
            "Availability: the database always answers",
            "Authorization: only permitted users may write",
            "Asynchrony: commits happen in the background",
        ],
        0,
        "Atomicity, Consistency, Isolation, Durability. Atomicity means a failed transaction leaves no partial changes.",
        "easy",
    ),
    q(
        "What is the reliable defence against SQL injection?",
        [
            "Escaping quotes in the input with str.replace",
            "Rejecting input longer than 255 characters",
            "Parameterised queries: placeholders in the SQL, values passed separately to the driver",
            "Accepting input only from POST requests",
        ],
        2,
        "With parameters the driver never interprets the input as SQL, whatever characters it contains.",
        "easy",
    ),
    q(
        "How do WHERE and HAVING differ?",
        [
            "They are interchangeable",
            "WHERE filters rows before grouping; HAVING filters groups after aggregation",
            "HAVING is evaluated before WHERE",
            "Only WHERE may use aggregate functions such as COUNT()",
        ],
        1,
        "Aggregates do not exist yet when WHERE runs, so conditions on them go in HAVING.",
        "medium",
    ),
    q(
        "`SELECT COUNT(email) FROM users` counts which rows?",
        ["All rows", "Rows where email is not NULL", "Distinct email values only", "Rows where email is NULL"],
        1,
        "COUNT(column) skips NULLs; COUNT(*) counts every row.",
        "medium",
    ),
    q(
        "A table has a B-tree index on `(customer_id, created_at)`. Which query can use it efficiently on its own?",
        [
            "WHERE created_at > '2024-01-01'",
            "WHERE status = 'paid'",
            "WHERE customer_id = 42",
            "WHERE created_at IS NULL OR status = 'paid'",
        ],
        2,
        "A composite B-tree index serves conditions on its leftmost column(s); created_at alone is not a leading prefix.",
        "medium",
    ),
    q(
        "Which anomaly can still happen under the READ COMMITTED isolation level?",
        [
            "Dirty reads of uncommitted changes",
            "Losing committed data after a crash",
            "None: READ COMMITTED is fully serializable",
            "Non-repeatable reads: the same SELECT in one transaction can return rows changed and committed by others in between",
        ],
        3,
        "READ COMMITTED takes a new snapshot per statement, so two reads in one transaction can differ. REPEATABLE READ or SERIALIZABLE prevent this.",
        "hard",
    ),
    q(
        "Two PostgreSQL transactions each hold a row lock that the other one is waiting for. What happens?",
        [
            "Both wait forever",
            "PostgreSQL detects the deadlock and aborts one of the transactions with an error",
            "PostgreSQL merges the two transactions",
            "Both commit and the last writer wins",
        ],
        1,
        "The deadlock detector aborts one transaction so the other can proceed; the application should retry. Locking rows in a consistent order avoids it.",
        "hard",
    ),
]

HTTP_APIS: list[DemoQuestion] = [
    q(
        "A client calls an endpoint that needs authentication without sending valid credentials. Which status code fits?",
        ["400 Bad Request", "401 Unauthorized", "403 Forbidden", "404 Not Found"],
        1,
        "401 means 'not authenticated'; 403 means 'authenticated but not allowed'.",
        "easy",
    ),
    q(
        "Which status code should a successful POST that created a new resource return?",
        ["201 Created", "200 OK", "202 Accepted", "204 No Content"],
        0,
        "201 Created, usually with a Location header pointing at the new resource.",
        "easy",
    ),
    q(
        "Which HTTP methods are idempotent by definition?",
        ["POST and PATCH", "Only GET", "POST and DELETE", "GET, PUT and DELETE"],
        3,
        "Repeating an idempotent request has the same effect as making it once. POST is not idempotent; PATCH is not guaranteed to be.",
        "easy",
    ),
    q(
        "A signed-in user requests a resource they are not permitted to see. Which status code fits?",
        ["401 Unauthorized", "405 Method Not Allowed", "403 Forbidden", "409 Conflict"],
        2,
        "The user is known but lacks permission: 403. (Some APIs answer 404 to hide that the resource exists.)",
        "medium",
    ),
    q(
        "What is an `Idempotency-Key` header on a 'create payment' POST for?",
        [
            "It encrypts the request body",
            "It authenticates the client",
            "It lets the server recognise a retried request and return the first result instead of charging twice",
            "It tells the browser to cache the response",
        ],
        2,
        "The server stores the result under the key, so a client that retries after a timeout gets the same answer and no duplicate.",
        "medium",
    ),
    q(
        "What does the signature of a JWT guarantee?",
        [
            "That the payload is encrypted and secret",
            "That the header and payload have not been altered since they were signed",
            "That the token can be revoked at any time",
            "That the user account is still active",
        ],
        1,
        "A JWT's payload is only base64url-encoded, so anyone can read it; the signature proves integrity and origin, not secrecy.",
        "medium",
    ),
    q(
        "A page on https://app.example.com calls an API on https://api.example.com with fetch(). What must the API send for the browser to allow it?",
        [
            "An Access-Control-Allow-Origin header that allows https://app.example.com",
            "A Content-Security-Policy header",
            "An X-Frame-Options header",
            "A Referrer-Policy header",
        ],
        0,
        "That is CORS: the browser checks the API's Access-Control-Allow-* headers (after a preflight for non-simple requests).",
        "medium",
    ),
    q(
        "Why is cursor (keyset) pagination often preferred to LIMIT/OFFSET for a large, frequently updated list?",
        [
            "It lets clients jump to any page number",
            "It needs no index",
            "It returns the total count for free",
            "It stays fast on deep pages and does not skip or repeat rows when new rows are inserted",
        ],
        3,
        "OFFSET makes the database walk past all skipped rows and shifts when rows are inserted; a cursor continues from the last seen key.",
        "hard",
    ),
    q(
        "How does a WebSocket connection begin?",
        [
            "As a raw TCP connection on port 81",
            "As an HTTP GET with `Upgrade: websocket`, answered with 101 Switching Protocols",
            "As a UDP handshake",
            "As a POST to a /ws endpoint that returns 200",
        ],
        1,
        "The opening handshake is HTTP, which is why cookies, Origin checks and proxies apply to it.",
        "medium",
    ),
]

JAVASCRIPT: list[DemoQuestion] = [
    q(
        "What does `typeof null` evaluate to?",
        ["'null'", "'undefined'", "'object'", "'number'"],
        2,
        "A long-standing quirk of the language: null is a primitive, yet typeof reports 'object'.",
        "easy",
    ),
    q(
        "Which comparison operator does not coerce types?",
        ["==", "===", "=", "!="],
        1,
        "=== (strict equality) compares without type conversion; == converts, so `0 == ''` is true.",
        "easy",
    ),
    q(
        "What does `'5' + 3` evaluate to?",
        ["8", "'8'", "NaN", "'53'"],
        3,
        "When either operand of + is a string, the other is converted to a string and they are concatenated.",
        "easy",
    ),
    q(
        "What does `0.1 + 0.2 === 0.3` evaluate to?",
        ["false", "true", "NaN", "It throws a RangeError"],
        0,
        "Numbers are IEEE 754 doubles; 0.1 + 0.2 is 0.30000000000000004. Compare with a tolerance such as Number.EPSILON.",
        "medium",
    ),
    q(
        "What does `[10, 1, 2].sort()` return?",
        ["[1, 2, 10]", "[10, 2, 1]", "[1, 10, 2]", "[2, 1, 10]"],
        2,
        "Without a compare function, sort() compares the elements as strings: '1' < '10' < '2'. Use `sort((a, b) => a - b)`.",
        "medium",
    ),
    q(
        "How do `let` and `var` differ?",
        [
            "var is block-scoped; let is function-scoped",
            "let cannot be reassigned",
            "There is no difference in modern engines",
            "let is block-scoped and unusable before its declaration; var is function-scoped and hoisted as undefined",
        ],
        3,
        "Accessing a let binding before its declaration throws a ReferenceError (the temporal dead zone).",
        "medium",
    ),
    q(
        "Given `const user = { name: 'Ada' }`, which statement is true?",
        [
            "`user.name = 'Grace'` is allowed, but `user = {}` throws a TypeError",
            "The object is frozen and cannot be changed",
            "Neither the binding nor the object can change",
            "`user = {}` is allowed, but `user.name = 'Grace'` throws",
        ],
        0,
        "const makes the binding read-only, not the value. Use Object.freeze() to stop property changes.",
        "medium",
    ),
    q(
        "What does `await` do inside an `async` function?",
        [
            "Blocks the whole thread until the promise settles",
            "Suspends that function until the promise settles, while other code keeps running",
            "Runs the promise in a Web Worker",
            "Converts the promise into a callback",
        ],
        1,
        "The rest of the function resumes as a microtask once the promise settles; the event loop is never blocked.",
        "medium",
    ),
    q(
        "In what order is this logged? `console.log('A'); setTimeout(() => console.log('B'), 0); Promise.resolve().then(() => console.log('C')); console.log('D');`",
        ["A B C D", "A C D B", "A D B C", "A D C B"],
        3,
        "Synchronous code runs first (A, D); then the microtask queue (promise callback C); then the next task (timeout B).",
        "hard",
    ),
    q(
        "What does `for (var i = 0; i < 3; i++) { setTimeout(() => console.log(i)); }` log?",
        ["0 1 2", "3 3 3", "undefined three times", "2 2 2"],
        1,
        "All three callbacks close over the same function-scoped i, which is 3 by the time they run. With `let` each iteration gets its own i.",
        "hard",
    ),
    q(
        "At the top level of an ES module, what does `const o = { f: () => this }; o.f()` return?",
        ["o", "globalThis", "undefined", "The function f"],
        2,
        "Arrow functions take `this` from the enclosing scope, and `this` is undefined at the top level of a module.",
        "hard",
    ),
]

HTML_ACCESSIBILITY: list[DemoQuestion] = [
    q(
        "Which element should you use for a control that performs an action on the page (not navigation)?",
        ['<a href="#">', '<button type="button">', "<div onclick>", '<span role="link">'],
        1,
        "A button is focusable, works with Enter and Space, and is announced as a button, all without extra code.",
        "easy",
    ),
    q(
        "What is the `alt` attribute of an `<img>` for?",
        [
            "A text alternative, read by screen readers and shown when the image cannot load",
            "A tooltip shown on hover",
            "Keywords for search engines only",
            "A fallback image URL",
        ],
        0,
        'Decorative images should have an empty alt (`alt=""`) so screen readers skip them.',
        "easy",
    ),
    q(
        "Which element should wrap the page's primary content, once per page?",
        ["<section>", "<article>", '<div id="content">', "<main>"],
        3,
        "<main> is a landmark that assistive technology can jump to directly.",
        "easy",
    ),
    q(
        "What does a `<button>` without a `type` attribute do when clicked inside a `<form>`?",
        ["Nothing", "Resets the form", "Submits the form", "Opens a dialog"],
        2,
        'The default type is submit, a common source of accidental submissions; set type="button" for other actions.',
        "easy",
    ),
    q(
        "How should a text input be tied to its visible label?",
        [
            "Put the label text next to the input",
            "Use a placeholder instead of a label",
            'Set title="Email" on a wrapping div',
            '<label for="email"> pointing at the input\'s id (or the label wrapping the input)',
        ],
        3,
        "A programmatic label is announced by screen readers and makes the label text clickable.",
        "medium",
    ),
    q(
        "Which attribute makes screen readers announce changes to a status message without interrupting the user?",
        ['aria-hidden="true"', 'role="presentation"', 'aria-live="polite"', 'tabindex="-1"'],
        2,
        "A polite live region is announced when the user is idle; assertive interrupts and is for urgent messages.",
        "medium",
    ),
    q(
        'What does `tabindex="-1"` do?',
        [
            "Makes the element focusable from script (element.focus()) but not reachable with the Tab key",
            "Removes the element from the page",
            "Puts the element first in the tab order",
            "Disables the element",
        ],
        0,
        "It is used to move focus to headings, dialogs or error summaries programmatically.",
        "medium",
    ),
    q(
        'What does the `defer` attribute on `<script src="app.js">` do?',
        [
            "Runs the script as soon as it downloads, in any order",
            "Downloads the script in parallel and runs it after the document is parsed, in document order",
            "Waits for user interaction before downloading the script",
            "Prevents the script from running",
        ],
        1,
        "`async` runs as soon as downloaded in any order; `defer` keeps order and waits for parsing to finish.",
        "medium",
    ),
    q(
        "What minimum contrast ratio does WCAG 2.1 level AA require for normal-size body text?",
        ["3:1", "4.5:1", "7:1", "2:1"],
        1,
        "4.5:1 for normal text; large text (about 24px, or 19px bold) needs 3:1; 7:1 is level AAA.",
        "medium",
    ),
    q(
        "What is the 'first rule of ARIA'?",
        [
            "Add a role attribute to every element",
            "Always prefer aria-label over visible text",
            "If a native HTML element or attribute already has the semantics and behaviour you need, use it instead of ARIA",
            "ARIA attributes add keyboard behaviour automatically",
        ],
        2,
        "ARIA changes only what is announced; it adds no focus or keyboard handling, which native elements provide for free.",
        "hard",
    ),
]

CSS_LAYOUT: list[DemoQuestion] = [
    q(
        "With `box-sizing: border-box`, what does `width` include?",
        ["Content only", "Content, padding, border and margin", "Content, padding and border", "Content and margin"],
        2,
        "border-box puts padding and border inside the declared width; margin is always outside.",
        "easy",
    ),
    q(
        "Which unit is relative to the root element's font size?",
        ["rem", "em", "px", "vh"],
        0,
        "rem is relative to the font size of <html>; em is relative to the element's own (or parent's) font size.",
        "easy",
    ),
    q(
        "What does `@media (min-width: 768px)` match?",
        [
            "Viewports narrower than 768px",
            "Devices with a resolution of 768 dpi",
            "Only printed pages",
            "Viewports 768px wide or wider",
        ],
        3,
        "min-width is an inclusive lower bound, the usual building block of mobile-first CSS.",
        "easy",
    ),
    q(
        "Which selector has the highest specificity?",
        ["nav ul li a", ".nav .item a", "#nav .item a", "a:hover"],
        2,
        "An id selector outweighs any number of class selectors, which outweigh any number of type selectors.",
        "medium",
    ),
    q(
        "In a flex container with `flex-direction: row`, which property aligns the items vertically (on the cross axis)?",
        ["justify-content", "align-items", "flex-wrap", "text-align"],
        1,
        "justify-content works on the main axis (horizontal for a row); align-items on the cross axis.",
        "medium",
    ),
    q(
        "An element has `position: absolute`. What is it positioned relative to?",
        [
            "Always the viewport",
            "Always its parent element",
            "Its nearest positioned ancestor (position other than static), or else the initial containing block",
            "Its previous sibling",
        ],
        2,
        "That is why a parent often gets `position: relative`: to become the containing block.",
        "medium",
    ),
    q(
        "What does `grid-template-columns: repeat(3, 1fr)` create?",
        [
            "Three columns that share the free space equally",
            "Three rows of equal height",
            "One column three fractions wide",
            "Three columns one pixel wide",
        ],
        0,
        "fr is a fraction of the free space in the grid container.",
        "medium",
    ),
    q(
        "Two rules with equal specificity set `color` on the same element. Which one applies?",
        [
            "The one declared first",
            "The one with fewer selectors",
            "Neither; the browser default applies",
            "The one that comes later in the cascade",
        ],
        3,
        "When origin, importance, layer and specificity tie, source order decides: the last declaration wins.",
        "medium",
    ),
    q(
        "Why might `z-index: 10` have no effect on a block element?",
        [
            "Because z-index only applies to inline elements",
            "Because the element is static: z-index needs a position other than static (or a flex/grid item)",
            "Because its opacity is 1",
            "Because overflow is visible",
        ],
        1,
        "z-index applies to positioned elements and to flex and grid items, and only within their stacking context.",
        "medium",
    ),
    q(
        "Which properties can most browsers animate on the compositor, without triggering layout or paint?",
        ["width and height", "top and left", "margin and padding", "transform and opacity"],
        3,
        "Animating geometry re-runs layout every frame; transform and opacity changes can be handled by the GPU compositor.",
        "hard",
    ),
]

BROWSER_PERFORMANCE: list[DemoQuestion] = [
    q(
        "Which storage is sent to the server automatically with every matching HTTP request?",
        ["localStorage", "sessionStorage", "IndexedDB", "Cookies"],
        3,
        "Cookies travel in the Cookie header; Web Storage and IndexedDB stay in the browser.",
        "easy",
    ),
    q(
        "What does `event.preventDefault()` do in a form's submit handler?",
        [
            "Stops the event from bubbling to parent elements",
            "Cancels the browser's default action (submitting and navigating), so script can handle it",
            "Removes the event listener",
            "Reloads the page",
        ],
        1,
        "stopPropagation() is the method that stops bubbling; preventDefault() cancels the default action.",
        "easy",
    ),
    q(
        "What is event delegation?",
        [
            "One listener on a common ancestor that uses event.target to handle events from many children",
            "Passing events to a Web Worker",
            "Calling stopPropagation() on every event",
            "Dispatching custom events from the server",
        ],
        0,
        "It relies on bubbling, uses fewer listeners, and also covers children added later.",
        "medium",
    ),
    q(
        "What does the `HttpOnly` flag on a cookie do?",
        [
            "Sends the cookie over HTTP but never HTTPS",
            "Limits the cookie to same-site requests",
            "Hides the cookie from JavaScript (document.cookie), which limits theft through XSS",
            "Deletes the cookie when the tab closes",
        ],
        2,
        "SameSite controls cross-site sending and Secure restricts the cookie to HTTPS; HttpOnly only hides it from scripts.",
        "medium",
    ),
    q(
        "Which response header stops injected inline scripts from running even when an XSS bug exists?",
        [
            "Strict-Transport-Security",
            "Access-Control-Allow-Origin",
            "Set-Cookie with SameSite=Strict",
            "Content-Security-Policy without 'unsafe-inline' in script-src",
        ],
        3,
        "A CSP that only allows scripts from trusted sources (or with nonces) blocks inline script injection as defence in depth.",
        "medium",
    ),
    q(
        "Which API is designed to tell you efficiently when an element scrolls into view, for example to lazy-load it?",
        ["MutationObserver", "IntersectionObserver", "ResizeObserver", "setInterval polling getBoundingClientRect()"],
        1,
        "IntersectionObserver is notified asynchronously by the browser, without layout work on every scroll event.",
        "medium",
    ),
    q(
        "What does `requestAnimationFrame(callback)` do?",
        [
            "Runs callback in a separate thread",
            "Runs callback once, just before the browser's next repaint",
            "Runs callback after all pending network requests finish",
            "Runs callback at exactly 60 frames a second, even in background tabs",
        ],
        1,
        "It matches the display's refresh rate and is paused in hidden tabs; call it again inside the callback to animate.",
        "medium",
    ),
    q(
        "Which response header lets the browser reuse a response for one hour without asking the server again?",
        ["Cache-Control: no-store", "Cache-Control: max-age=3600", 'ETag: "3600"', "Expires: 0"],
        1,
        "max-age gives the freshness lifetime in seconds; an ETag is for revalidating once the response is stale.",
        "medium",
    ),
    q(
        "Why is a loop that changes an element's style and then reads `offsetHeight` on every iteration slow?",
        [
            "Each read starts a network request",
            "Each read clears the HTTP cache",
            "Each read after a write forces a synchronous layout (layout thrashing)",
            "Each read blocks garbage collection",
        ],
        2,
        "Batch the reads, then the writes, so the browser lays the page out once.",
        "hard",
    ),
    q(
        "A WebSocket `close` event arrives with code 1006. What does it mean?",
        [
            "Normal closure requested by the server",
            "The message was too big",
            "The server did not support the requested subprotocol",
            "The connection was lost without a close frame, for example a network drop",
        ],
        3,
        "1006 is never sent on the wire; the browser reports it when the connection ends abnormally. Clients should reconnect with backoff.",
        "hard",
    ),
]

TESTS: list[DemoTest] = [
    {
        "title": "Python backend engineer",
        "description": "A 25-minute screen of Python, Django, SQL and HTTP API fundamentals.",
        "job_description": (
            "We are hiring a backend engineer to build and run Django services: REST and real-time APIs, "
            "PostgreSQL data models, background work and the tests that keep them honest."
        ),
        "total_questions": 10,
        "time_limit_minutes": 25,
        "max_attempts": 2,
        "pass_percentage": 60.0,
        "feedback_mode": "full",
        "skills": [
            {"name": "Python language", "weight": 1.0, "difficulty": "medium", "questions": PYTHON_LANGUAGE},
            {"name": "Django and the ORM", "weight": 1.5, "difficulty": "medium", "questions": DJANGO_ORM},
            {"name": "SQL and databases", "weight": 1.0, "difficulty": "medium", "questions": SQL_DATABASES},
            {"name": "HTTP and API design", "weight": 1.0, "difficulty": "easy", "questions": HTTP_APIS},
        ],
    },
    {
        "title": "Frontend engineer (JavaScript/Web)",
        "description": "A 20-minute screen of JavaScript, HTML and accessibility, CSS and browser fundamentals.",
        "job_description": (
            "We are hiring a frontend engineer to build accessible, fast web interfaces in modern JavaScript, "
            "working closely with designers and the API team."
        ),
        "total_questions": 10,
        "time_limit_minutes": 20,
        "max_attempts": 1,
        "pass_percentage": 60.0,
        "feedback_mode": "correctness",
        "skills": [
            {"name": "JavaScript language", "weight": 1.5, "difficulty": "medium", "questions": JAVASCRIPT},
            {"name": "HTML and accessibility", "weight": 1.0, "difficulty": "easy", "questions": HTML_ACCESSIBILITY},
            {"name": "CSS and layout", "weight": 1.0, "difficulty": "medium", "questions": CSS_LAYOUT},
            {
                "name": "Browser, DOM and performance",
                "weight": 1.0,
                "difficulty": "hard",
                "questions": BROWSER_PERFORMANCE,
            },
        ],
    },
]
