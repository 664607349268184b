// Realistic API traffic that must pass, with the cases naive detectors trip on: prose with SQL
// words, apostrophes in names, prices with $, file names with dots, markup that is only rich text,
// shell words used as English, templates placeholders, URLs to public hosts.
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80',
  'curl/8.5.0',
  'PostmanRuntime/7.37.3',
  'okhttp/4.12.0',
  'python-requests/2.31.0',
  'Go-http-client/2.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Dalvik/2.1.0 (Linux; U; Android 13; SM-S918B Build/TP1A.220624.014)',
  'MyApp/3.2.1 (com.example.myapp; build:4567; iOS 17.4.1) Alamofire/5.9.0',
];
const REFERERS = [
  'https://www.google.com/',
  'https://app.example.com/dashboard?tab=settings&sort=desc',
  'http://localhost:5173/',
  'https://example.com/blog/2024/05/why-we-moved-to-nest.html#comments',
  'https://t.co/abc123',
];
const COOKIES = [
  'session=s%3A5f2b1c9e-8d4a-4f6b-9c1e-2a7d3b4c5e6f.Xk9%2Fq8W; theme=dark',
  '_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; consent=%7B%22ads%22%3Afalse%2C%22analytics%22%3Atrue%7D',
  'lang=en-US; tz=Europe%2FBerlin; cart=%5B%7B%22id%22%3A12%2C%22qty%22%3A2%7D%5D',
  'token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ',
];

const TEXTS = [
  'Please update my card details before the next billing cycle.',
  "Drop me a line when you're back in town.",
  'Select the plan that fits you best.',
  'The union select committee meets on Friday.',
  'Can you delete from my wishlist the blue shoes?',
  'I want to insert a new row of seats in the hall.',
  'Order by Friday to get free shipping.',
  'Group by team, then sort by score.',
  'We had to drop the table tennis lessons this year.',
  'Union Street 42, San Francisco, CA',
  'Is it true or false that the store opens at 9?',
  "I'd like to select 2 items from the menu.",
  'Tom & Jerry; cat lovers welcome',
  'Q&A; echo chamber discussion tonight',
  'Dogs | cats | birds',
  "rock 'n' roll never dies",
  "It's 5 o'clock somewhere",
  "He said 'hello' and left",
  '5\' 11" tall, 80 kg',
  'The 90s were great -- mostly',
  'Use the --force flag carefully',
  'Price: $19.99 (was $29.99)',
  'Save $$$ today!',
  'Only US$ 5 per month',
  'Cost is $5-$10 depending on size',
  '50% off; today only!',
  'a < b and c > d',
  'I <3 this app',
  'x<y and y>z',
  '1 + 1 = 2',
  'Email me at ann.oreilly@example.com',
  "He's in; she's out",
  'Meeting notes:\nLocation: Room 5\nAttendees: Ann, Bob\nNext: select a venue',
  'Step 1: open the app\nStep 2: select Settings\nStep 3: update your email',
  'Hello {{name}}, your order {{order.id}} has shipped.',
  'Total: ${amount} due on {{date}}',
  'Use `git status` to check your changes',
  'See report.v2.final.pdf for details',
  'Attached: archive.2024.tar.gz and photo.2024.01.05.jpeg',
  'wait... what?',
  'Upgraded to version 1.2.3 yesterday',
  '~/projects/app/src/main.ts',
  'Where is the exit?',
  "What's new in v2?",
  "Tell me why; I'm curious",
  'Order #12345 - 3 items',
  '#hashtag #fun #summer',
  '@john thanks for the help!',
  'Call +1 (555) 123-4567 ext. 89',
  'ISBN 978-3-16-148410-0',
  'Re: Re: Fwd: invoice #2024-05',
  'Thanks!!! :)',
  '¯\\_(ツ)_/¯',
  'Party time 🎉🚀',
  'Ünïcödé tëxt with àccents',
  'JavaScript: The Good Parts (2008)',
  'Learn about the <b>bold</b> tag',
  '<p>Hello <em>world</em></p>',
  '<a href="https://example.com/docs">read the docs</a>',
  '<img src="https://cdn.example.com/a.png" alt="A cat">',
  '<ul><li>one</li><li>two</li></ul>',
  'if (x > 5) { return y; }',
  'Are you sure? (yes/no)',
  'Buy 2, get 1 free',
  'My password is strong, trust me',
  'The ratio was 3:1 in our favour',
  'Insert coin to continue',
  'Update available: version 2.0',
  'Drop-off location: Gate 4',
  'Execute the plan; report back by noon',
  'Declare your income before April',
  'null',
  'true',
  'N/A',
  '-',
  '0',
  "I'll be there at 5 or 6",
  'between 5 and 10 people',
  'AT&T and T-Mobile',
  'Barnes & Noble',
  'salt & pepper',
  'R&D; marketing; sales',
  'A|B testing results',
  'path/to/file.txt',
  'See https://en.wikipedia.org/wiki/SQL_injection for background',
  "Conan O'Brien",
  "D'Angelo Russell",
  "Shaquille O'Neal",
  "Mark O'Connor & Sons, Ltd.",
  'José Núñez',
  'Søren Kierkegaard',
  '李小龙',
  'Jean-Luc Picard',
  'Dr. Amy Wong-Smith',
  "Renée d'Arc",
  '221B Baker St.',
  'Apt. #5; 2nd floor',
  '1600 Pennsylvania Ave NW, Washington, DC 20500',
  'Who is on call this weekend?',
  'Please find attached the file; cat photos included',
  'Sleep well; see you tomorrow',
  'Kill Bill is my favourite movie',
  'Set the alarm for 6',
  'more or less',
  'The kids | the parents | the teachers',
  'Start: 9am; End: 5pm',
  "Don't forget: id card, passport, tickets",
  'Reply with "yes" or "no"',
  'She wrote "it\'s fine" -- and it was',
  'The value must be >= 10 and <= 20',
  'Use 1=1 as the sample ratio',
  'Chapter 3: Select your weapon',
  'We offer union and non-union rates',
  'The update from the team: all good',
  'Where are the 2nd floor restrooms?',
  'The `select` element renders a dropdown',
  '<b>Note:</b> the <i>select</i> element is styled',
  'Sales & Marketing | Q3 | 2024',
  "It's the users' choice",
  'Profit margin: 12.5% ($1.2M)',
  'See section 4.2.1 (a) and (b)',
  '(555) 010-9999',
  'Hi Ann,\n\nThanks for your order.\nTotal: $42.00\n\nBest,\nBob',
  'Fish & chips; mushy peas optional',
  'error: file not found (code 404)',
  'Ask for the manager; or the chef',
  'Terms & Conditions apply*',
  'C# and F# developers wanted',
  'c++ vs c#',
  'node.js',
  '{"note":"json inside a string","ok":true}',
  'x = y + z; print(x)',
];
const SEARCHES = [
  'how to select multiple files',
  'update iphone',
  'drop shipping business',
  'union jack flag',
  'best price $100',
  "o'reilly books",
  'mens shoes size 10.5',
  'red dress -sale',
  '"exact phrase"',
  "kids' toys",
  "women's jeans",
  '1/2 inch pipe',
  '50/50',
  '#1 hits',
  'café',
  '100%',
  'a+b',
  'top 10 movies 2024',
  'grep command',
  'cat videos',
  'ping pong table',
  'echo dot',
  'sleep mask',
  'find my phone',
  'head and shoulders',
  'less is more',
  'set of 4 chairs',
  'type c cable',
  'who is the president',
  'order history',
  'delete account',
  'where to eat',
  'or',
  'and',
  'select',
  'union',
];
const FILES = [
  'report.v2.final.pdf',
  'archive.tar.gz',
  'photo.2024.01.05.jpeg',
  'README.md',
  '.gitignore',
  'my.resume (1).docx',
  'data_2024-05.csv',
  'image..png',
];
const URLS = [
  'https://hooks.example.com/ci/42',
  'https://api.github.com/repos/nestjs/nest',
  'https://www.example.org/feed.xml',
  'https://cdn.example.com/avatars/ann.png?size=128',
  'http://example.net/callback?state=xyz&code=abc',
  'https://8.8.8.8/dns-query',
  'https://[2606:4700:4700::1111]/dns-query',
];

const CHROME = UAS[0];
const enc = encodeURIComponent;

export function BENIGN() {
  const out = [];
  const add = (note, request) => out.push({ label: 'benign', note, request });
  TEXTS.forEach((text, i) => {
    // Multi-line text travels in bodies (text areas are POSTed), never in query strings.
    if (!text.includes('\n'))
      add('text in query', {
        method: 'GET',
        path: '/api/search',
        query: `q=${enc(text)}&page=${i % 5}`,
        headers: { 'user-agent': UAS[i % UAS.length] },
      });
    add('text in body', {
      method: 'POST',
      path: '/api/notes',
      headers: { 'user-agent': UAS[(i + 3) % UAS.length], referer: REFERERS[i % REFERERS.length] },
      body: { title: text.slice(0, 40), body: text, tags: ['personal', 'todo'], pinned: i % 2 === 0 },
    });
    add('text nested', {
      method: 'PUT',
      path: `/api/users/${1000 + i}`,
      headers: { cookie: COOKIES[i % COOKIES.length] },
      body: {
        profile: { displayName: text.slice(0, 30), bio: text, links: [] },
        settings: { theme: 'dark', locale: 'en-GB' },
      },
    });
    add('text as comment', {
      method: 'POST',
      path: `/api/posts/${i}/comments`,
      body: { author: { name: "Conan O'Brien", email: 'conan@example.com' }, comment: text, rating: i % 5 },
    });
  });
  SEARCHES.forEach((q, i) => {
    add('search', {
      method: 'GET',
      path: '/api/products',
      query: `q=${enc(q)}&sort=-price&limit=20&offset=${i * 20}`,
      headers: { 'user-agent': UAS[i % UAS.length], referer: REFERERS[i % REFERERS.length] },
    });
    add('search form-encoded', {
      method: 'GET',
      path: '/search',
      query: `q=${q.replaceAll('%', '%25').replaceAll('&', '%26').replaceAll('#', '%23').replaceAll('+', '%2B').replaceAll(' ', '+')}&lang=en`,
    });
  });
  FILES.forEach((file, i) => {
    add('file name', { method: 'GET', path: `/api/files/${enc(file)}`, query: 'download=1' });
    add('upload metadata', {
      method: 'POST',
      path: '/api/uploads',
      body: { filename: file, size: 1024 * (i + 1), contentType: 'application/octet-stream', folder: 'documents/2024' },
    });
  });
  URLS.forEach((url, i) => {
    add('webhook url', {
      method: 'POST',
      path: '/api/webhooks',
      body: { name: `hook ${i}`, url, events: ['push', 'release'], active: true },
    });
    add('preview url', { method: 'GET', path: '/api/preview', query: `url=${enc(url)}` });
  });
  UAS.forEach((ua, i) => {
    add('browser navigation', {
      method: 'GET',
      path: '/api/me',
      headers: {
        'user-agent': ua,
        referer: REFERERS[i % REFERERS.length],
        cookie: COOKIES[i % COOKIES.length],
        'x-forwarded-for': `203.0.113.${i + 1}, 10.0.0.2`,
      },
    });
  });
  const apiCalls = [
    ['GET', '/api/orders', 'page=2&limit=20&sort=-createdAt&fields=id,name,email&filter[status]=active&include=author'],
    ['GET', '/api/events', 'date_from=2024-01-01&date_to=2024-12-31T23:59:59Z&tz=Europe/Berlin'],
    ['GET', '/api/products', 'price_min=10&price_max=99.99&currency=USD&in_stock=true'],
    [
      'GET',
      '/oauth/authorize',
      'response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb&scope=openid%20profile&state=af0ifjsldkj&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
    ],
    ['GET', '/api/items', 'tags=a&tags=b&tags=c'],
    ['GET', '/api/landing', 'utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2024'],
    ['GET', '/api/users', 'email=ann%2Btest%40example.com'],
    ['GET', '/api/search', 'q=%24100%20gift%20card'],
    ['GET', '/api/geo', 'lat=52.5200&lng=13.4050&radius=5km'],
    ['GET', '/api/reports/2024/05/summary.json', ''],
    ['GET', '/api/v2/accounts/acc_1234/transactions', 'cursor=eyJpZCI6MTIzfQ%3D%3D&limit=50'],
    ['GET', '/api/calendar', 'view=week&start=2024-05-06'],
    ['GET', '/api/translate', 'text=C%27est%20la%20vie&from=fr&to=en'],
    ['GET', '/api/math', 'expr=2*3%2B4'],
    ['GET', '/.well-known/openid-configuration', ''],
    ['GET', '/api/search', 'q=select%20all%20from%20the%20menu'],
    ['DELETE', '/api/notes/7f3c2a9e-1b4d-4e8a-9c6f-2d1e0b7a5c3f', ''],
  ];
  apiCalls.forEach(([method, path, query], i) =>
    add('api call', { method, path, query, headers: { 'user-agent': UAS[i % UAS.length] } }),
  );
  const bodies = [
    {
      query: 'query GetUser($id: ID!) { user(id: $id) { name email posts(first: 10) { title } } }',
      variables: { id: '42' },
    },
    {
      query: 'mutation Update($input: UpdateInput!) { updateUser(input: $input) { id } }',
      variables: { input: { name: "O'Brien", bio: 'Drop me a line' } },
    },
    {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.com/product.schema.json',
      type: 'object',
      properties: { price: { $ref: '#/$defs/money' } },
    },
    {
      items: [
        { sku: 'A-100.v2', qty: 2, price: 19.99 },
        { sku: 'B-200', qty: 1, price: 5 },
      ],
      currency: 'USD',
      coupon: 'SAVE$10',
      note: 'Leave at the door; ring twice',
    },
    { email: 'ann@example.com', password: "S3cr3t!Pa$$w0rd#2024'x", remember: true },
    { name: 'Constructor Ltd', constructor: 'ACME Builders', prototype: 'v0.9 prototype board' },
    { template: 'Hi {{firstName}}, your code is {{code}}.', channel: 'email' },
    { markdown: '# Title\n\n| id | name |\n|----|------|\n| 1  | Ann  |\n\n```js\nconst x = 1;\n```\n' },
    { address: { line1: '10 Downing St', city: 'London', postcode: 'SW1A 2AA' }, phone: '+44 20 7925 0918' },
    { event: 'page_view', props: { path: '/pricing', referrer: 'https://www.google.com/', screen: '1920x1080' } },
    { filters: { status: ['open', 'pending'], assignee: 'me', updatedSince: '2024-05-01' } },
    { message: 'Server room temp is 23°C; humidity 40%', severity: 'info' },
    { description: 'Fits 1/2" and 3/4" pipes. Price: $4.50 each or 10 for $40.' },
    { bio: "I'm a developer. I love C, C++, and rock 'n' roll. Find me on https://github.com/ann." },
    { css: 'color: red; background: #fff url(https://cdn.example.com/bg.png);' },
    { html: '<p>Welcome to <strong>our</strong> store!</p><p><a href="/sale">See the sale</a></p>' },
    { command: 'Please run the nightly backup', cron: '0 3 * * *' },
    { reason: 'The shipment was late; the box was damaged & wet.' },
    {
      data: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    },
    { answer: '42', question: 'What is 6 * 7?' },
  ];
  bodies.forEach((body, i) =>
    add('api body', {
      method: 'POST',
      path: `/api/resource/${i}`,
      headers: { 'user-agent': CHROME, 'content-type': 'application/json' },
      body,
    }),
  );
  return out;
}
