<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="ja">
<context>
    <name>AdminScreen</name>
    <message>
        <source>{n}台の端末が承認を待っています。</source>
        <translation>Devices waiting for approval: {n}.</translation>
    </message>
    <message>
        <source>いま更新</source>
        <translation>Refresh now</translation>
    </message>
    <message>
        <source>承認を待っている端末</source>
        <translation>Devices waiting for approval</translation>
    </message>
    <message>
        <source>承認を待っている端末はありません。</source>
        <translation>No devices are waiting for approval.</translation>
    </message>
    <message>
        <source>承認済みの端末</source>
        <translation>Approved devices</translation>
    </message>
    <message>
        <source>端末の承認 — Furano Meet</source>
        <translation>Approve devices — Furano Meet</translation>
    </message>
</context>
<context>
    <name>AgendaPack</name>
    <message>
        <source>議事と資料</source>
        <translation>Agenda and documents</translation>
    </message>
    <message>
        <source>（受信中の資料）</source>
        <translation>(document still arriving)</translation>
    </message>
</context>
<context>
    <name>AnnotationBar</name>
    <message>
        <source>↶ 元に戻す</source>
        <translation>↶ Undo</translation>
    </message>
    <message>
        <source>↷ やり直す</source>
        <translation>↷ Redo</translation>
    </message>
    <message>
        <source>✎
書
き
込
む</source>
        <translation>✎
Write</translation>
    </message>
    <message>
        <source>✎ 書き込みを終える</source>
        <translation>✎ Finish writing</translation>
    </message>
    <message>
        <source>ペン</source>
        <translation>Pen</translation>
    </message>
    <message>
        <source>中</source>
        <translation>Medium</translation>
    </message>
    <message>
        <source>付箋</source>
        <translation>Sticky note</translation>
    </message>
    <message>
        <source>元に戻す</source>
        <translation>Undo</translation>
    </message>
    <message>
        <source>全員に共有</source>
        <translation>Shared with all</translation>
    </message>
    <message>
        <source>太</source>
        <translation>Thick</translation>
    </message>
    <message>
        <source>書き込みは自分だけに見える</source>
        <translation>My writing is seen only by me</translation>
    </message>
    <message>
        <source>書き込みを会議で共有する</source>
        <translation>Share my writing with the meeting</translation>
    </message>
    <message>
        <source>書き込みを終えて読むだけに戻る</source>
        <translation>Finish writing and go back to reading</translation>
    </message>
    <message>
        <source>書き込む（ペン・蛍光ペン・付箋・消しゴムを出す）</source>
        <translation>Write (show the pen, highlighter, sticky note and eraser)</translation>
    </message>
    <message>
        <source>消しゴム</source>
        <translation>Eraser</translation>
    </message>
    <message>
        <source>細</source>
        <translation>Thin</translation>
    </message>
    <message>
        <source>線の太さ: {name}</source>
        <translation>Line width: {name}</translation>
    </message>
    <message>
        <source>自分だけ</source>
        <translation>Only me</translation>
    </message>
    <message>
        <source>蛍光ペン</source>
        <translation>Highlighter</translation>
    </message>
    <message>
        <source>赤</source>
        <translation>Red</translation>
    </message>
    <message>
        <source>青</source>
        <translation>Blue</translation>
    </message>
    <message>
        <source>黄</source>
        <translation>Yellow</translation>
    </message>
    <message>
        <source>黒</source>
        <translation>Black</translation>
    </message>
</context>
<context>
    <name>AppLock</name>
    <message>
        <source>暗証番号が何度か違いました。念のため、{seconds}秒ほど待ってからもう一度入力してください。</source>
        <translation>The PIN was wrong a few times. To be safe, please wait about {seconds} seconds, then try again.</translation>
    </message>
    <message>
        <source>暗証番号が違います。もう一度ゆっくり入力してください。</source>
        <translation>That PIN is not right. Please type it again, slowly.</translation>
    </message>
</context>
<context>
    <name>AttendanceRow</name>
    <message>
        <source>{state}（あなた）</source>
        <translation>{state} (you)</translation>
    </message>
</context>
<context>
    <name>CertifiedList</name>
    <message>
        <source>{name}
&#x3000;{user}（{role}）・指紋 {fp}</source>
        <translation>{name}
   {user} ({role}) · fingerprint {fp}</translation>
    </message>
    <message>
        <source>{n}台の端末が承認されています。</source>
        <translation>{n} device(s) are approved.</translation>
    </message>
    <message>
        <source>このサーバーは古いため、承認済みの端末を一覧できません。</source>
        <translation>This server is too old to list the approved devices.</translation>
    </message>
    <message>
        <source>承認済みの端末はまだありません。</source>
        <translation>No device has been approved yet.</translation>
    </message>
</context>
<context>
    <name>ClerkDesk</name>
    <message>
        <source>PDFをこの画面にドラッグしても配布できます。</source>
        <translation>You can also drag a PDF onto this window.</translation>
    </message>
    <message>
        <source>{title}
第{v}版&#x3000;受け取り {k}/{n}人</source>
        <translation>{title}
Version {v}   received by {k} of {n}</translation>
    </message>
    <message>
        <source>まだ配布した資料はありません。</source>
        <translation>No documents published yet.</translation>
    </message>
    <message>
        <source>サーバーにつながると、配布した資料が表示されます。</source>
        <translation>The published documents appear once the server can be reached.</translation>
    </message>
    <message>
        <source>サーバーに確かめています…</source>
        <translation>Asking the server…</translation>
    </message>
    <message>
        <source>会議</source>
        <translation>Meeting</translation>
    </message>
    <message>
        <source>会議の一覧</source>
        <translation>Meetings</translation>
    </message>
    <message>
        <source>会議の設定…</source>
        <translation>Meeting settings…</translation>
    </message>
    <message>
        <source>会議の設定（保存・会議体）を開く</source>
        <translation>Open the meeting settings (saving, committee)</translation>
    </message>
    <message>
        <source>左の一覧で資料を選ぶと、差し替え・取り下げ・受け取りの状況が表示されます。</source>
        <translation>Choose a document in the list on the left to replace it, withdraw it, or see who has it.</translation>
    </message>
    <message>
        <source>資料の管理</source>
        <translation>Documents</translation>
    </message>
    <message>
        <source>資料の管理 — Furano Meet</source>
        <translation>Documents — Furano Meet</translation>
    </message>
    <message>
        <source>配布した資料（議事の順）</source>
        <translation>Published documents (agenda order)</translation>
    </message>
    <message>
        <source>＋ 新しい資料を配布する…</source>
        <translation>+ Publish a new document…</translation>
    </message>
</context>
<context>
    <name>CommitteeBox</name>
    <message>
        <source>まだ設定されていません（委員の一覧では会議名から表示します）。</source>
        <translation>Not set yet (members’ lists take it from the meeting’s title).</translation>
    </message>
    <message>
        <source>会議体</source>
        <translation>Committee</translation>
    </message>
    <message>
        <source>会議体を変更する</source>
        <translation>Change the committee</translation>
    </message>
    <message>
        <source>例：総務文教委員会</source>
        <translation>e.g. General Affairs and Education Committee</translation>
    </message>
    <message>
        <source>変更する</source>
        <translation>Change</translation>
    </message>
    <message>
        <source>委員の会議一覧に「{name}」と表示されます。</source>
        <translation>Members’ meeting lists show “{name}”.</translation>
    </message>
    <message>
        <source>設定を配っています…</source>
        <translation>Sending the setting to everyone…</translation>
    </message>
</context>
<context>
    <name>DeliveryPanel</name>
    <message>
        <source>{m}月{d}日 {t}</source>
        <translation>{m}/{d} {t}</translation>
    </message>
    <message>
        <source>{n}人中 {k}人が最新の第{v}版を受け取っています。</source>
        <translation>{k} of {n} have received the newest version (version {v}).</translation>
    </message>
    <message>
        <source>– 未受領</source>
        <translation>– Not received yet</translation>
    </message>
    <message>
        <source>△ 旧版のみ（第{v}版）</source>
        <translation>△ Older version only (version {v})</translation>
    </message>
    <message>
        <source>✓ 受領の報告あり（署名なし・第{v}版）</source>
        <translation>✓ Reported received (unsigned, version {v})</translation>
    </message>
    <message>
        <source>✓ 受領済み（第{v}版）</source>
        <translation>✓ Received (version {v})</translation>
    </message>
    <message>
        <source>&#x3000;{name}：第{v}版&#x3000;{at}</source>
        <translation>   {name}: version {v}  {at}</translation>
    </message>
    <message>
        <source>&#x3000;受け取った端末はまだありません</source>
        <translation>   No device has received it yet</translation>
    </message>
    <message>
        <source>&#x3000;端末 …{tail}：第{v}版&#x3000;{at}</source>
        <translation>   Device …{tail}: version {v}  {at}</translation>
    </message>
    <message>
        <source>いま確かめる</source>
        <translation>Check now</translation>
    </message>
    <message>
        <source>うち{u}人は署名のない報告です。</source>
        <translation> Of them, {u} only by an unsigned report.</translation>
    </message>
    <message>
        <source>この資料の受け取りの状況はまだわかりません。</source>
        <translation>Not known yet who has received this document.</translation>
    </message>
    <message>
        <source>受け取りの状況</source>
        <translation>Who has it</translation>
    </message>
    <message>
        <source>受け取りの状況をいま確かめる</source>
        <translation>Check now who has received it</translation>
    </message>
    <message>
        <source>委員ごとの受け取りの状況</source>
        <translation>Who has received it, member by member</translation>
    </message>
    <message>
        <source>（署名なし：古いアプリからの報告です）</source>
        <translation> (unsigned: a report from an older app)</translation>
    </message>
</context>
<context>
    <name>DeviceCard</name>
    <message>
        <source>{user}（{role}）の端末</source>
        <translation>Device of {user} ({role})</translation>
    </message>
    <message>
        <source>✓ 一致しました</source>
        <translation>✓ They match</translation>
    </message>
    <message>
        <source>✕ まだ一致しません — 端末の画面をもう一度ご確認ください</source>
        <translation>✕ Not the same yet — please look at the device&apos;s screen again</translation>
    </message>
    <message>
        <source>サーバーが示す指紋:
{fp}</source>
        <translation>Fingerprint the server shows:
{fp}</translation>
    </message>
    <message>
        <source>委員</source>
        <translation>Member</translation>
    </message>
    <message>
        <source>委員長</source>
        <translation>Chair</translation>
    </message>
    <message>
        <source>招待による申告: {user}（{role}）</source>
        <translation>The invitation says: {user} ({role})</translation>
    </message>
    <message>
        <source>招待の確認に失敗したため、自動では承認されませんでした。承認せず、本人に確かめてから新しい招待を作ってください。</source>
        <translation>The invitation could not be checked, so the device was not approved by itself. Do not approve it; check with the person, then make a new invitation.</translation>
    </message>
    <message>
        <source>招待の確認は済んでいます。指紋を確かめて承認してください。</source>
        <translation>The invitation has been checked. Compare the fingerprints, then approve.</translation>
    </message>
    <message>
        <source>招待を使わずに登録された端末です。本人の端末であることを確かめてから承認してください。</source>
        <translation>This device enrolled without an invitation. Make sure it belongs to this person before you approve it.</translation>
    </message>
    <message>
        <source>指紋が一致 — 承認する</source>
        <translation>Fingerprints match — approve</translation>
    </message>
    <message>
        <source>端末ID: {id}</source>
        <translation>Device ID: {id}</translation>
    </message>
    <message>
        <source>端末の持ち主に指紋を読み上げてもらってください</source>
        <translation>Ask the device&apos;s owner to read the fingerprint out</translation>
    </message>
    <message>
        <source>端末の画面に出ている指紋を入力</source>
        <translation>Type the fingerprint shown on the device</translation>
    </message>
    <message>
        <source>端末の画面の指紋</source>
        <translation>Fingerprint on the device&apos;s screen</translation>
    </message>
    <message>
        <source>管理者</source>
        <translation>Administrator</translation>
    </message>
    <message>
        <source>職員</source>
        <translation>Staff</translation>
    </message>
    <message>
        <source>議会事務局</source>
        <translation>Council secretariat</translation>
    </message>
</context>
<context>
    <name>DeviceName</name>
    <message>
        <source>端末 …{tail}</source>
        <translation>Device …{tail}</translation>
    </message>
</context>
<context>
    <name>DeviceNameField</name>
    <message>
        <source>このタブレット</source>
        <translation>This tablet</translation>
    </message>
    <message>
        <source>この端末の名前</source>
        <translation>This device&apos;s name</translation>
    </message>
    <message>
        <source>例：会議室タブレット 12</source>
        <translation>e.g. Meeting room tablet 12</translation>
    </message>
    <message>
        <source>名前に使えない見えない文字（制御文字など）が入っています。</source>
        <translation>The name contains an invisible character (such as a control character) that cannot be used.</translation>
    </message>
    <message>
        <source>名前は{max}文字までです（いま{n}文字）。</source>
        <translation>A name can have at most {max} characters (this one has {n}).</translation>
    </message>
    <message>
        <source>端末の名前を入力してください。</source>
        <translation>Please enter a name for this device.</translation>
    </message>
    <message>
        <source>管理者と事務局の画面に出る名前です。</source>
        <translation>The name the administrator and clerks see.</translation>
    </message>
</context>
<context>
    <name>DocumentPage</name>
    <message>
        <source>{item}&#x3000;第{v}版</source>
        <translation>{item}   version {v}</translation>
    </message>
    <message>
        <source>この資料を取り下げる</source>
        <translation>Withdraw this document</translation>
    </message>
    <message>
        <source>取り下げる…</source>
        <translation>Withdraw…</translation>
    </message>
    <message>
        <source>差し替える…</source>
        <translation>Replace…</translation>
    </message>
    <message>
        <source>新しい版に差し替える</source>
        <translation>Replace with a new version</translation>
    </message>
    <message>
        <source>（議事の指定なし）</source>
        <translation>(no agenda item)</translation>
    </message>
</context>
<context>
    <name>DocumentTabs</name>
    <message>
        <source>ページ</source>
        <translation>Pages</translation>
    </message>
    <message>
        <source>目次</source>
        <translation>Contents</translation>
    </message>
    <message>
        <source>確認</source>
        <translation>To check</translation>
    </message>
    <message>
        <source>確認 {n}</source>
        <translation>To check ({n})</translation>
    </message>
</context>
<context>
    <name>ErrorPresenter</name>
    <message>
        <source>10文字以上で、よく使われる言葉や数字だけでないものにしてください。ご自分だけが思いつく短い文がおすすめです。</source>
        <translation>Use 10 or more characters, not just common words or numbers. A short sentence only you would think of works well.</translation>
    </message>
    <message>
        <source>PDFとして保存してから、もう一度選んでください。</source>
        <translation>Save it as a PDF, then choose it again.</translation>
    </message>
    <message>
        <source>{step}（{code}）</source>
        <translation>{step} ({code})</translation>
    </message>
    <message>
        <source>このPDFにはパスワードがかかっています。</source>
        <translation>This PDF is password-protected.</translation>
    </message>
    <message>
        <source>このPDFにはページがありません。</source>
        <translation>This PDF has no pages.</translation>
    </message>
    <message>
        <source>このPDFは一部のページが欠けています。</source>
        <translation>Some pages of this PDF are missing.</translation>
    </message>
    <message>
        <source>このPDFは壊れていて読めません。</source>
        <translation>This PDF is damaged and cannot be read.</translation>
    </message>
    <message>
        <source>このPDFは重すぎて、タブレットでは表示できません。</source>
        <translation>This PDF is too heavy to show on a tablet.</translation>
    </message>
    <message>
        <source>このアドレスでは通信が暗号化されないため、つなぎません。</source>
        <translation>This address would not encrypt the connection, so the app does not connect.</translation>
    </message>
    <message>
        <source>このパスフレーズは推測されやすいため使えません。</source>
        <translation>This passphrase is too easy to guess.</translation>
    </message>
    <message>
        <source>このファイルは大きすぎて配布できません。</source>
        <translation>This file is too large to publish.</translation>
    </message>
    <message>
        <source>このページを表示できませんでした。</source>
        <translation>This page could not be shown.</translation>
    </message>
    <message>
        <source>この会議の鍵がまだ届いていません。</source>
        <translation>The key for this meeting has not arrived yet.</translation>
    </message>
    <message>
        <source>この招待は確認できなかったため、登録しませんでした。</source>
        <translation>This invitation could not be checked, so the device was not enrolled.</translation>
    </message>
    <message>
        <source>この操作にはサーバーへの接続が必要です。</source>
        <translation>This needs a connection to the server.</translation>
    </message>
    <message>
        <source>この操作はできません。</source>
        <translation>This cannot be done.</translation>
    </message>
    <message>
        <source>この操作は発表者だけができます。</source>
        <translation>Only the presenter can do this.</translation>
    </message>
    <message>
        <source>この操作は許可されていません。</source>
        <translation>This is not allowed.</translation>
    </message>
    <message>
        <source>この端末にある資料はそのまま読めます。つながると自動で同期します。</source>
        <translation>You can keep reading what is on this device; it syncs by itself when the connection returns.</translation>
    </message>
    <message>
        <source>この端末はまだ管理者の承認を待っています。</source>
        <translation>This device is still waiting for the administrator&apos;s approval.</translation>
    </message>
    <message>
        <source>この端末は承認できません。</source>
        <translation>This device cannot be approved.</translation>
    </message>
    <message>
        <source>この端末を承認した組織が、招待の組織と違います。</source>
        <translation>The device was approved by a different organisation from the invitation&apos;s.</translation>
    </message>
    <message>
        <source>この資料にはパスワードがかかっています。</source>
        <translation>This document is password-protected.</translation>
    </message>
    <message>
        <source>この資料はこの端末にないため開けません。</source>
        <translation>This document is not on this device, so it cannot be opened.</translation>
    </message>
    <message>
        <source>この資料は壊れていて開けません。</source>
        <translation>This document is damaged and cannot be opened.</translation>
    </message>
    <message>
        <source>しばらくしてから、もう一度お試しください。</source>
        <translation>Please try again in a little while.</translation>
    </message>
    <message>
        <source>ほかのページは読めます。議会事務局にお知らせください。</source>
        <translation>The other pages can be read. Please tell the council secretariat.</translation>
    </message>
    <message>
        <source>もう一度お試しください。続く場合はコードを添えて事務局にお知らせください。</source>
        <translation>Please try again; if it keeps happening, tell the secretariat with the code.</translation>
    </message>
    <message>
        <source>もう一度そのまま貼り付けてください。期限切れの場合は議会事務局に新しい招待をお願いしてください。</source>
        <translation>Please paste it again exactly as it came. If it has expired, ask the council secretariat for a new one.</translation>
    </message>
    <message>
        <source>もう一度入力してください。</source>
        <translation>Please enter it again.</translation>
    </message>
    <message>
        <source>アプリの不具合で操作を完了できませんでした。</source>
        <translation>A fault in the app stopped this.</translation>
    </message>
    <message>
        <source>サーバーとの接続が切れました。</source>
        <translation>The connection to the server was lost.</translation>
    </message>
    <message>
        <source>サーバーに、あなたのメモを戻すための鍵がありません。</source>
        <translation>The server keeps no key to bring back your notes.</translation>
    </message>
    <message>
        <source>サーバーにつながりません。</source>
        <translation>The server cannot be reached.</translation>
    </message>
    <message>
        <source>サーバーのアドレスとして読めませんでした。</source>
        <translation>This is not a server address the app can read.</translation>
    </message>
    <message>
        <source>パスフレーズが違います。</source>
        <translation>The passphrase is not right.</translation>
    </message>
    <message>
        <source>パスワードを外したコピーを保存し、そちらを配布してください。</source>
        <translation>Save a copy without the password and hand out that copy.</translation>
    </message>
    <message>
        <source>ファイルが移動・削除されていないかご確認のうえ、もう一度選んでください。</source>
        <translation>Check that it has not been moved or deleted, then choose it again.</translation>
    </message>
    <message>
        <source>ファイルをもう一度コピーするか、PDFとして保存し直してください。</source>
        <translation>Copy the file again, or save it as a PDF again.</translation>
    </message>
    <message>
        <source>不要なファイルを削除してから、もう一度お試しください。</source>
        <translation>Please delete files you no longer need and try again.</translation>
    </message>
    <message>
        <source>作成したソフトで開き、PDFとして保存し直してください。</source>
        <translation>Open it in the program that made it and save it as a PDF again.</translation>
    </message>
    <message>
        <source>使わずに、情報システム担当にお知らせください。</source>
        <translation>Do not use it; please tell the IT staff.</translation>
    </message>
    <message>
        <source>先頭の「http://」を消して入力してください（暗号化した接続を使います）。</source>
        <translation>Type it without “http://” at the start (the app then uses an encrypted connection).</translation>
    </message>
    <message>
        <source>取り下げられたか、まだ届いていない資料です。一覧の表示をご確認ください。</source>
        <translation>It was withdrawn or has not arrived yet. Please look at the list.</translation>
    </message>
    <message>
        <source>受け取ったデータを確認できませんでした。</source>
        <translation>Data that arrived could not be verified.</translation>
    </message>
    <message>
        <source>回復コードは、この端末ですでに作ってあります。</source>
        <translation>A recovery code was already made on this device.</translation>
    </message>
    <message>
        <source>回復コードは、メモのある端末で 設定 → 回復コードを作る をしたあとに使えます。わからないときは議会事務局にご相談ください。</source>
        <translation>A recovery code works once it was made on a device that holds your notes (Settings → Make a recovery code). If unsure, please ask the council secretariat.</translation>
    </message>
    <message>
        <source>委員長に発表者の役割をお願いしてください。</source>
        <translation>Ask the chair for the presenter role.</translation>
    </message>
    <message>
        <source>届いた資料の一つは確認に失敗したため、表示しません。</source>
        <translation>A document that arrived failed its check, so it is not shown.</translation>
    </message>
    <message>
        <source>届くと資料が自動で開けるようになります。</source>
        <translation>The documents open by themselves once it arrives.</translation>
    </message>
    <message>
        <source>必要であれば議会事務局にお問い合わせください。</source>
        <translation>If you need it, please ask the council secretariat.</translation>
    </message>
    <message>
        <source>承認されると自動で使えるようになります。</source>
        <translation>It is ready by itself once approved.</translation>
    </message>
    <message>
        <source>承認しないでください。情報システム担当にお知らせください。</source>
        <translation>Please do not approve it, and tell the IT staff.</translation>
    </message>
    <message>
        <source>承認せず、本人に確かめてから新しい招待を作ってください。</source>
        <translation>Do not approve it; check with the person, then make a new invitation.</translation>
    </message>
    <message>
        <source>招待の形が正しくないか、期限が切れています。</source>
        <translation>The invitation is not complete, or it has expired.</translation>
    </message>
    <message>
        <source>接続が戻ってから、もう一度お試しください。</source>
        <translation>Please try again when the connection is back.</translation>
    </message>
    <message>
        <source>改ざんや通信の不具合の可能性があります。議会事務局にお知らせください。</source>
        <translation>It may have been altered or damaged in transit. Please tell the council secretariat.</translation>
    </message>
    <message>
        <source>書き留めたコードはそのまま使えます。なくした場合は、議会事務局にご相談ください。</source>
        <translation>The code you wrote down still works. If it is lost, please ask the council secretariat.</translation>
    </message>
    <message>
        <source>画像を小さくして保存し直すか、資料をいくつかに分けてください。</source>
        <translation>Save it again with smaller images, or split it into several documents.</translation>
    </message>
    <message>
        <source>画像を小さく（300dpi程度に）して保存し直してください。</source>
        <translation>Make its images smaller (about 300 dpi) and save it again.</translation>
    </message>
    <message>
        <source>端末の保存領域がいっぱいです。</source>
        <translation>This device&apos;s storage is full.</translation>
    </message>
    <message>
        <source>端末の指紋が、サーバーが示す鍵と一致しません。</source>
        <translation>The device&apos;s fingerprint does not match the key the server shows.</translation>
    </message>
    <message>
        <source>端末または通信の状態により、操作を完了できませんでした。</source>
        <translation>This could not be done because of the device or the connection.</translation>
    </message>
    <message>
        <source>自動でつなぎ直します。資料はそのまま読めます。</source>
        <translation>It reconnects by itself; you can keep reading.</translation>
    </message>
    <message>
        <source>表示中の資料は議会事務局により取り下げられました。</source>
        <translation>The council secretariat has withdrawn this document.</translation>
    </message>
    <message>
        <source>議会事務局から届いたアドレス（例：meet.example.jp）を、空白を入れずに入力してください。</source>
        <translation>Type the address from the council office (e.g. meet.example.jp), without spaces.</translation>
    </message>
    <message>
        <source>議会事務局にお問い合わせください。</source>
        <translation>Please contact the council secretariat.</translation>
    </message>
    <message>
        <source>議会事務局にお知らせください。</source>
        <translation>Please tell the council secretariat.</translation>
    </message>
    <message>
        <source>議会事務局に差し替えをお願いしてください。</source>
        <translation>Please ask the council secretariat for a replacement.</translation>
    </message>
    <message>
        <source>議会事務局に新しい招待をお願いし、情報システム担当にお知らせください。</source>
        <translation>Ask the council secretariat for a new invitation, and tell the IT staff.</translation>
    </message>
    <message>
        <source>資料のページが入ったファイルを選んでください。</source>
        <translation>Please choose a file that has the document&apos;s pages.</translation>
    </message>
    <message>
        <source>選んだファイルはPDFではありません。</source>
        <translation>The chosen file is not a PDF.</translation>
    </message>
    <message>
        <source>選んだファイルを読み込めませんでした。</source>
        <translation>The chosen file could not be read.</translation>
    </message>
    <message>
        <source>開いているページはこのまま読めます。閉じると、もう開けません。</source>
        <translation>You can keep reading the open pages. Once closed, it cannot be opened again.</translation>
    </message>
</context>
<context>
    <name>ExportBar</name>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <source>{doc}-書き込み入り.pdf</source>
        <translation>{doc}-with-notes.pdf</translation>
    </message>
    <message>
        <source>この会議では保存できません</source>
        <translation>Saving is not allowed for this meeting</translation>
    </message>
    <message>
        <source>この会議では保存できません（事務局の設定）</source>
        <translation>This meeting does not allow saving (set by the council office)</translation>
    </message>
    <message>
        <source>保存しています…</source>
        <translation>Saving…</translation>
    </message>
    <message>
        <source>保存しました：{name}</source>
        <translation>Saved: {name}</translation>
    </message>
    <message>
        <source>書き込み入りで保存</source>
        <translation>Save with my notes</translation>
    </message>
    <message>
        <source>書き込み入りのPDFを保存</source>
        <translation>Save the PDF with my notes</translation>
    </message>
    <message>
        <source>自分の書き込みを入れたPDFとして保存</source>
        <translation>Save a PDF that includes my notes</translation>
    </message>
</context>
<context>
    <name>ExportRuleBox</name>
    <message>
        <source>いまは、委員が自分のメモを入れたPDFを保存できます。</source>
        <translation>Members can now save a PDF with their own notes.</translation>
    </message>
    <message>
        <source>いまは、委員は保存できません（秘密会などのとき）。</source>
        <translation>Members cannot save copies now (e.g. for a closed session).</translation>
    </message>
    <message>
        <source>委員が書き込み入りの資料を保存できる</source>
        <translation>Members may save a copy with their notes</translation>
    </message>
    <message>
        <source>書き込み入りの保存</source>
        <translation>Saving copies with notes</translation>
    </message>
    <message>
        <source>設定を配っています…</source>
        <translation>Sending the setting to everyone…</translation>
    </message>
</context>
<context>
    <name>FirstRunWindow</name>
    <message>
        <source>Furano Meet — はじめての設定</source>
        <translation>Furano Meet — first start</translation>
    </message>
    <message>
        <source>招待 (*.txt *.furano-invite);;すべて (*)</source>
        <translation>Invitation (*.txt *.furano-invite);;All files (*)</translation>
    </message>
    <message>
        <source>招待ファイルを開く</source>
        <translation>Open the invitation file</translation>
    </message>
    <message>
        <source>準備しています…</source>
        <translation>Getting ready…</translation>
    </message>
</context>
<context>
    <name>FollowBar</name>
    <message>
        <source>{name}さん</source>
        <translation>{name}</translation>
    </message>
    <message>
        <source>{who}は{page}ページです</source>
        <translation>{who} is on page {page}</translation>
    </message>
    <message>
        <source>{who}は別の資料の{page}ページです</source>
        <translation>{who} is on page {page} of another document</translation>
    </message>
    <message>
        <source>● {who}に追従中</source>
        <translation>● Following {who}</translation>
    </message>
    <message>
        <source>一時停止中 — 皆さんは{page}ページ</source>
        <translation>Paused — everyone stays on page {page}</translation>
    </message>
    <message>
        <source>委員長</source>
        <translation>the chair</translation>
    </message>
    <message>
        <source>委員長のページに戻る</source>
        <translation>Back to the chair&apos;s page</translation>
    </message>
    <message>
        <source>戻る</source>
        <translation>Back to the chair&apos;s page</translation>
    </message>
    <message>
        <source>発表に戻る</source>
        <translation>Resume presenting</translation>
    </message>
    <message>
        <source>発表はまだ始まっていません — 資料を自由に読めます</source>
        <translation>Nobody is presenting yet — read freely</translation>
    </message>
    <message>
        <source>発表中 — 全員が
あなたのページを見ています</source>
        <translation>Presenting — everyone sees your page</translation>
    </message>
</context>
<context>
    <name>InvitationPage</name>
    <message>
        <source>この端末を登録する</source>
        <translation>Enrol this device</translation>
    </message>
    <message>
        <source>ようこそ</source>
        <translation>Welcome</translation>
    </message>
    <message>
        <source>サーバーのアドレス</source>
        <translation>Server address</translation>
    </message>
    <message>
        <source>サーバーのアドレスを入力してください（招待と一緒に届いています）。</source>
        <translation>Please enter the server address (it came with the invitation).</translation>
    </message>
    <message>
        <source>例：meet.example.jp</source>
        <translation>e.g. meet.example.jp</translation>
    </message>
    <message>
        <source>招待</source>
        <translation>Invitation</translation>
    </message>
    <message>
        <source>招待ファイルを開く…</source>
        <translation>Open the invitation file…</translation>
    </message>
    <message>
        <source>登録しています…</source>
        <translation>Enrolling…</translation>
    </message>
    <message>
        <source>議会事務局から受け取った招待で、この端末を登録します。招待のリンクを貼り付けると、サーバーのアドレスも入ります。</source>
        <translation>Enrol this device with the invitation from the council secretariat. Pasting the invitation link fills in the server address too.</translation>
    </message>
</context>
<context>
    <name>LinkConfirm</name>
    <message>
        <source>やめる</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>ブラウザで開く</source>
        <translation>Open in the browser</translation>
    </message>
    <message>
        <source>外部のサイト</source>
        <translation>Outside website</translation>
    </message>
    <message>
        <source>外部のサイトを開きますか？</source>
        <translation>Open an outside website?</translation>
    </message>
    <message>
        <source>行き先のサイト</source>
        <translation>The site the link goes to</translation>
    </message>
    <message>
        <source>資料に書かれた文字ではなく、実際に開くアドレスです。心当たりのないサイトなら開かないでください。開くと、この端末のブラウザで表示します。</source>
        <translation>This is the address that would really open, not the words on the page. If you do not know the site, do not open it. It opens in this device’s browser.</translation>
    </message>
    <message>
        <source>開くアドレス</source>
        <translation>The address that would open</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <source>しばらく操作がなかったので、画面を隠しました。暗証番号を入力すると元の画面に戻ります。会議の資料とページは、ロック中も受け取り続けています。</source>
        <translation>Nothing was touched for a while, so the screen is hidden. Enter your PIN to return. Meeting documents and page turns keep arriving while it is locked.</translation>
    </message>
    <message>
        <source>ロックを解除</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <source>暗証番号</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>画面をロックしています</source>
        <translation>The screen is locked</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Furano Meet — {name}</source>
        <translation>Furano Meet — {name}</translation>
    </message>
    <message>
        <source>この資料</source>
        <translation>This document</translation>
    </message>
    <message>
        <source>会議</source>
        <translation>Meetings</translation>
    </message>
    <message>
        <source>検索</source>
        <translation>Search</translation>
    </message>
    <message>
        <source>端末の承認…</source>
        <translation>Approve devices…</translation>
    </message>
    <message>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>設定（言語・文字の大きさ・画面のロック）</source>
        <translation>Settings (language, text size, screen lock)</translation>
    </message>
    <message>
        <source>資料</source>
        <translation>Agenda</translation>
    </message>
    <message>
        <source>資料の管理…</source>
        <translation>Documents…</translation>
    </message>
    <message>
        <source>資料の管理（配布・差し替え・取り下げ）</source>
        <translation>Documents (publish, replace, withdraw)</translation>
    </message>
</context>
<context>
    <name>MeetingList</name>
    <message>
        <source>{y}年{m}月{d}日</source>
        <translation>{y}-{m}-{d}</translation>
    </message>
    <message>
        <source>今後の会議</source>
        <translation>Coming meetings</translation>
    </message>
    <message>
        <source>会議の一覧</source>
        <translation>Meeting list</translation>
    </message>
    <message>
        <source>過去の会議</source>
        <translation>Past meetings</translation>
    </message>
</context>
<context>
    <name>MeetingSettings</name>
    <message>
        <source>できない</source>
        <translation>not allowed</translation>
    </message>
    <message>
        <source>できる</source>
        <translation>allowed</translation>
    </message>
    <message>
        <source>会議の設定</source>
        <translation>Meeting settings</translation>
    </message>
    <message>
        <source>変更は署名して配られ、委員全員の端末に届きます。</source>
        <translation>A change is signed and reaches every member’s device.</translation>
    </message>
    <message>
        <source>委員の保存：{saving}
会議体：{name}</source>
        <translation>Members may save: {saving}
Committee: {name}</translation>
    </message>
    <message>
        <source>未設定</source>
        <translation>not set</translation>
    </message>
    <message>
        <source>確かめています…</source>
        <translation>checking…</translation>
    </message>
</context>
<context>
    <name>NotePanel</name>
    <message>
        <source>付箋</source>
        <translation>Sticky note</translation>
    </message>
    <message>
        <source>付箋の文字</source>
        <translation>Text of the sticky note</translation>
    </message>
    <message>
        <source>付箋を直す（ページの付箋を引っぱると動かせます）</source>
        <translation>Edit the sticky note (drag it on the page to move it)</translation>
    </message>
    <message>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>新しい付箋（ページの印の場所に貼ります）</source>
        <translation>New sticky note (it goes where the page is marked)</translation>
    </message>
    <message>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>NoticeBar</name>
    <message>
        <source>お知らせを詳しく表示</source>
        <translation>Show the whole notice</translation>
    </message>
    <message>
        <source>お知らせを閉じる</source>
        <translation>Close the notice</translation>
    </message>
    <message>
        <source>詳しく</source>
        <translation>More</translation>
    </message>
    <message>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>OutlinePanel</name>
    <message>
        <source>{page}ページへ</source>
        <translation>Go to page {page}</translation>
    </message>
    <message>
        <source>この資料には目次がありません</source>
        <translation>This document has no contents list</translation>
    </message>
    <message>
        <source>目次</source>
        <translation>Contents</translation>
    </message>
    <message>
        <source>資料を開くと目次が出ます</source>
        <translation>Open a document to see its contents</translation>
    </message>
</context>
<context>
    <name>PageCanvas</name>
    <message>
        <source>ページ</source>
        <translation>Page</translation>
    </message>
</context>
<context>
    <name>PageLabels</name>
    <message>
        <source>{page}ページ</source>
        <translation>Page {page}</translation>
    </message>
    <message>
        <source>（印刷 {label}）</source>
        <translation> (printed {label})</translation>
    </message>
</context>
<context>
    <name>PassphrasePage</name>
    <message>
        <source>2回の入力が一致しません。もう一度入力してください。</source>
        <translation>The two entries do not match. Please enter them again.</translation>
    </message>
    <message>
        <source>この端末には、資料を守る鍵を安全にしまっておく仕組み（キーチェーン）が見つかりませんでした。そのため、この端末に保存する会議資料をパスフレーズで守ります。10文字以上の、ご自分だけが思いつく短い文を決めてください。アプリを開くたびに入力します。</source>
        <translation>This device has no keychain to keep the key that protects your documents safely. The meeting documents stored here are therefore protected by a passphrase. Choose a short sentence of 10 or more characters that only you would think of. You type it each time the app opens.</translation>
    </message>
    <message>
        <source>この端末の会議資料はパスフレーズで守られています。登録のときに決めたパスフレーズを入力してください。</source>
        <translation>The meeting documents on this device are protected by a passphrase. Please enter the passphrase you chose when enrolling.</translation>
    </message>
    <message>
        <source>もう一度</source>
        <translation>Once more</translation>
    </message>
    <message>
        <source>パスフレーズ</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <source>次へ</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>確認のため、もう一度入力してください</source>
        <translation>Please enter it once more to confirm</translation>
    </message>
</context>
<context>
    <name>PresenterBar</name>
    <message>
        <source>お願いしました — 許可をお待ちください</source>
        <translation>Asked — please wait for the chair</translation>
    </message>
    <message>
        <source>このページを表示</source>
        <translation>Show this page</translation>
    </message>
    <message>
        <source>ポインター</source>
        <translation>Pointer</translation>
    </message>
    <message>
        <source>全員をこのページへ</source>
        <translation>Bring everyone here</translation>
    </message>
    <message>
        <source>共有ペン</source>
        <translation>Shared pen</translation>
    </message>
    <message>
        <source>発表をお願いする</source>
        <translation>Ask to present</translation>
    </message>
    <message>
        <source>自分で閲覧中の人も含めて、全員をこのページへ</source>
        <translation>Bring everyone here, those reading on their own too</translation>
    </message>
</context>
<context>
    <name>PresenterPanel</name>
    <message>
        <source>{state} {n}人</source>
        <translation>{state}: {n}</translation>
    </message>
    <message>
        <source>▸</source>
        <translation>▸</translation>
    </message>
    <message>
        <source>◂
参加者</source>
        <translation>◂
People</translation>
    </message>
    <message>
        <source>この端末はオフラインです — 参加者の様子は、つながると表示されます</source>
        <translation>This device is offline — who is following shows again once connected</translation>
    </message>
    <message>
        <source>オフライン</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>事務局</source>
        <translation>Council office</translation>
    </message>
    <message>
        <source>参加者の様子</source>
        <translation>Who is with you</translation>
    </message>
    <message>
        <source>参加者の様子を閉じてページを広く表示する</source>
        <translation>Close who is following and show the page wider</translation>
    </message>
    <message>
        <source>参加者の様子を開く</source>
        <translation>Open who is following</translation>
    </message>
    <message>
        <source>発表を引き継ぐ</source>
        <translation>Take over presenting</translation>
    </message>
    <message>
        <source>発表を終える</source>
        <translation>Stop presenting</translation>
    </message>
    <message>
        <source>発表中</source>
        <translation>Presenting</translation>
    </message>
    <message>
        <source>発表者の役割を自分に移す</source>
        <translation>Take the presenter role</translation>
    </message>
    <message>
        <source>自分で閲覧中</source>
        <translation>Reading on their own</translation>
    </message>
    <message>
        <source>追従中</source>
        <translation>Following</translation>
    </message>
</context>
<context>
    <name>PublishForm</name>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <source>PDFファイルを選ぶ…</source>
        <translation>Choose a PDF file…</translation>
    </message>
    <message>
        <source>PDFファイルを選ぶか、この画面にドラッグしてください。配布する前に、すべての委員の端末で開けるかを確かめます。</source>
        <translation>Choose a PDF file or drag it onto this window. Before publishing, the app checks that every member&apos;s device can open it.</translation>
    </message>
    <message>
        <source>「{name}」— {pages}ページ。すべての端末で開けることを確かめました。</source>
        <translation>“{name}” — {pages} pages. Checked: every device can open it.</translation>
    </message>
    <message>
        <source>「{name}」は配布できません（理由は上のお知らせのとおりです）。別のファイルを選んでください。</source>
        <translation>“{name}” cannot be published (the reason is in the notice above). Please choose another file.</translation>
    </message>
    <message>
        <source>「{name}」を確かめています…</source>
        <translation>Checking “{name}”…</translation>
    </message>
    <message>
        <source>このファイルは一部が壊れていたため、自動で修復しました。ページは欠けていませんが、配布する前に内容を一度ご確認ください。</source>
        <translation>Part of this file was damaged and has been repaired. No page is missing, but please look through it once before publishing.</translation>
    </message>
    <message>
        <source>すべてのファイル (*)</source>
        <translation>All files (*)</translation>
    </message>
    <message>
        <source>まだファイルを選んでいません。</source>
        <translation>No file chosen yet.</translation>
    </message>
    <message>
        <source>やめる</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>一覧に戻る</source>
        <translation>Back to the list</translation>
    </message>
    <message>
        <source>並び順（小さい番号が先）</source>
        <translation>Order (smaller first)</translation>
    </message>
    <message>
        <source>例：議案第3号</source>
        <translation>e.g. Bill No. 3</translation>
    </message>
    <message>
        <source>別のファイルを選ぶ…</source>
        <translation>Choose another file…</translation>
    </message>
    <message>
        <source>委員の端末に届くと、一覧の「受け取り」の人数が増えます。続けて配布するときは、次のPDFをこの画面にドラッグしてください。</source>
        <translation>As members&apos; devices receive it, the “received by” count in the list goes up. To publish another, drag the next PDF onto this window.</translation>
    </message>
    <message>
        <source>差し替え：{title}（いまは第{v}版）</source>
        <translation>Replace: {title} (now version {v})</translation>
    </message>
    <message>
        <source>新しいPDFを選んでください。第{v}版として配布します。委員が書いたメモは新しい版に引き継がれます。ページが変わって位置を確かめたほうがよいメモは、各委員の「確認」に一覧で表示されます。</source>
        <translation>Choose the new PDF. It is published as version {v}. Members&apos; notes are carried over to the new version; notes on pages that changed are listed for each member under “Check”.</translation>
    </message>
    <message>
        <source>新しい資料を配布する</source>
        <translation>Publish a new document</translation>
    </message>
    <message>
        <source>暗号化して配布しています…</source>
        <translation>Encrypting and publishing…</translation>
    </message>
    <message>
        <source>議事</source>
        <translation>Agenda item</translation>
    </message>
    <message>
        <source>議事（例：議案第3号）</source>
        <translation>Agenda item (e.g. Bill No. 3)</translation>
    </message>
    <message>
        <source>資料の並び順（小さい番号が先）</source>
        <translation>Order in the agenda (smaller numbers first)</translation>
    </message>
    <message>
        <source>資料の題名</source>
        <translation>Title</translation>
    </message>
    <message>
        <source>配布しました</source>
        <translation>Published</translation>
    </message>
    <message>
        <source>配布しました：{title}（第{v}版）</source>
        <translation>Published: {title} (version {v})</translation>
    </message>
    <message>
        <source>配布する</source>
        <translation>Publish</translation>
    </message>
    <message>
        <source>配布するPDFを選ぶ</source>
        <translation>Choose the PDF to publish</translation>
    </message>
    <message>
        <source>配布できませんでした。内容はそのまま残っています。もう一度お試しください。</source>
        <translation>It could not be published. Everything you entered is kept; please try again.</translation>
    </message>
    <message>
        <source>配布の進み具合</source>
        <translation>Publishing progress</translation>
    </message>
    <message>
        <source>配布済みの議事</source>
        <translation>Agenda items already used</translation>
    </message>
</context>
<context>
    <name>RecoveryPage</name>
    <message>
        <source>いまは回復コードを作れません。後で設定から作れます。</source>
        <translation>The recovery code cannot be made right now. You can make it later in Settings.</translation>
    </message>
    <message>
        <source>この端末は使えるようになりました。最後にひとつだけ。下の回復コードは、万一すべての端末をなくしたときに、ご自分だけのメモを取り戻すためのものです。紙に書き写して、端末とは別の場所に大切にしまってください。このコードが表示されるのは今回だけです。</source>
        <translation>This device is ready. One last thing: the recovery code below brings back your private notes should you ever lose all your devices. Copy it onto paper and keep it safe, away from this device. It is shown only this once.</translation>
    </message>
    <message>
        <source>回復コード</source>
        <translation>Recovery code</translation>
    </message>
    <message>
        <source>回復コードを用意しています…</source>
        <translation>Preparing your recovery code…</translation>
    </message>
    <message>
        <source>後で</source>
        <translation>Later</translation>
    </message>
    <message>
        <source>後で（設定からいつでも作れます）</source>
        <translation>Later (you can make it any time in Settings)</translation>
    </message>
    <message>
        <source>承認されました — 回復コード</source>
        <translation>Approved — your recovery code</translation>
    </message>
    <message>
        <source>書き留めました</source>
        <translation>I have written it down</translation>
    </message>
</context>
<context>
    <name>RecoverySettings</name>
    <message>
        <source>やめる</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>作り直す…</source>
        <translation>Make a new one…</translation>
    </message>
    <message>
        <source>作り直すと、前に書き留めた回復コードは使えなくなります。メモを取り戻せるのは新しいコードだけです。新しいコードを紙に書き写し、前のコードの紙は処分してください。</source>
        <translation>If you make a new one, the code you wrote down before stops working: only the new code can bring your notes back. Copy the new code onto paper and throw the old paper away.</translation>
    </message>
    <message>
        <source>前のコードを無効にして作り直す</source>
        <translation>Make a new code (the old one stops working)</translation>
    </message>
    <message>
        <source>回復コードは、この端末ですでに作ってあります。書き留めたコードはそのまま使えます。紙をなくしたときは、作り直せます。</source>
        <translation>A recovery code was already made on this device. The code you wrote down still works. If you lost the paper, you can make a new one.</translation>
    </message>
    <message>
        <source>回復コードを作り直す（確認があります）</source>
        <translation>Make a new recovery code (asks you first)</translation>
    </message>
    <message>
        <source>回復コードを作る</source>
        <translation>Make a recovery code</translation>
    </message>
</context>
<context>
    <name>RequestRow</name>
    <message>
        <source>{name}から発表の希望があります</source>
        <translation>{name} asks to present</translation>
    </message>
    <message>
        <source>{name}に発表を任せる</source>
        <translation>Let {name} present</translation>
    </message>
    <message>
        <source>あとで</source>
        <translation>Later</translation>
    </message>
    <message>
        <source>許可</source>
        <translation>Allow</translation>
    </message>
</context>
<context>
    <name>ReviewList</name>
    <message>
        <source>{title}（第{v}版）{page}ページ
{what} — タップして確認</source>
        <translation>{title} (version {v}), page {page}
{what} — tap to check</translation>
    </message>
    <message>
        <source>マーカー</source>
        <translation>Highlight</translation>
    </message>
    <message>
        <source>付箋「{text}」</source>
        <translation>Sticky note “{text}”</translation>
    </message>
    <message>
        <source>手書きのメモ</source>
        <translation>Handwritten note</translation>
    </message>
    <message>
        <source>確認が必要なメモ</source>
        <translation>Notes to check</translation>
    </message>
    <message>
        <source>確認が必要なメモはありません</source>
        <translation>No notes need checking</translation>
    </message>
</context>
<context>
    <name>SearchPanel</name>
    <message>
        <source>{page}ページ</source>
        <translation>Page {page}</translation>
    </message>
    <message>
        <source>◀ 前の一致</source>
        <translation>◀ Previous match</translation>
    </message>
    <message>
        <source>「{q}」は{n}ページにあります</source>
        <translation>“{q}” is on {n} page(s)</translation>
    </message>
    <message>
        <source>「{q}」は見つかりませんでした</source>
        <translation>“{q}” was not found</translation>
    </message>
    <message>
        <source>このページの{i}件目／{n}件</source>
        <translation>Match {i} of {n} on this page</translation>
    </message>
    <message>
        <source>この先には見つかりません</source>
        <translation>No more matches after this</translation>
    </message>
    <message>
        <source>メモ（{n}件）</source>
        <translation>Notes ({n})</translation>
    </message>
    <message>
        <source>・メモ{n}件</source>
        <translation> · {n} notes</translation>
    </message>
    <message>
        <source>付箋</source>
        <translation>Sticky note</translation>
    </message>
    <message>
        <source>検索する言葉</source>
        <translation>Words to search for</translation>
    </message>
    <message>
        <source>検索結果</source>
        <translation>Search results</translation>
    </message>
    <message>
        <source>次の一致 ▶</source>
        <translation>Next match ▶</translation>
    </message>
    <message>
        <source>資料の中を検索（例：予算）</source>
        <translation>Search the documents (e.g. budget)</translation>
    </message>
    <message>
        <source>（先頭の{n}件）</source>
        <translation> (the first {n})</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <source>2回の入力が一致しません。もう一度入力してください。</source>
        <translation>The two entries do not match. Please enter them again.</translation>
    </message>
    <message>
        <source>Furano Meet — 設定</source>
        <translation>Furano Meet — Settings</translation>
    </message>
    <message>
        <source>{m}分</source>
        <translation>{m} minutes</translation>
    </message>
    <message>
        <source>この端末の名前：{name}</source>
        <translation>This device&apos;s name: {name}</translation>
    </message>
    <message>
        <source>しばらく操作がないと画面を隠し、暗証番号（4〜8桁の数字）で元に戻します。ロック中も会議の同期は続きます。</source>
        <translation>After a while without use the screen is hidden; your PIN (4 to 8 digits) brings it back. Meetings keep syncing while it is locked.</translation>
    </message>
    <message>
        <source>すべての端末をなくしたときに、ご自分だけのメモを取り戻すためのコードです。作ると一度だけ表示されます。紙に書き写して、端末とは別の場所にしまってください。</source>
        <translation>A code that brings back your private notes if you lose all your devices. It is shown once when made. Copy it onto paper and keep it away from this device.</translation>
    </message>
    <message>
        <source>はっきりした配色（黒・白・黄）</source>
        <translation>High contrast (black, white, yellow)</translation>
    </message>
    <message>
        <source>もう一度</source>
        <translation>Once more</translation>
    </message>
    <message>
        <source>パソコンの設定に合わせる</source>
        <translation>Same as the computer</translation>
    </message>
    <message>
        <source>ロックしない</source>
        <translation>Never lock</translation>
    </message>
    <message>
        <source>回復コード</source>
        <translation>Recovery code</translation>
    </message>
    <message>
        <source>文字を大きくする</source>
        <translation>Larger text</translation>
    </message>
    <message>
        <source>新しい暗証番号</source>
        <translation>New PIN</translation>
    </message>
    <message>
        <source>暗証番号は4〜8桁の数字にしてください。</source>
        <translation>A PIN is 4 to 8 digits.</translation>
    </message>
    <message>
        <source>暗証番号はまだ決まっていません。決めるまで画面はロックされません。</source>
        <translation>No PIN yet. The screen does not lock until you choose one.</translation>
    </message>
    <message>
        <source>暗証番号は決まっています。新しく決め直すこともできます。</source>
        <translation>A PIN is set. You can choose a new one.</translation>
    </message>
    <message>
        <source>暗証番号を決める</source>
        <translation>Set the PIN</translation>
    </message>
    <message>
        <source>画面のロック</source>
        <translation>Screen lock</translation>
    </message>
    <message>
        <source>見やすさ</source>
        <translation>Easier to read</translation>
    </message>
    <message>
        <source>言語 / Language</source>
        <translation>Language / 言語</translation>
    </message>
    <message>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>SideColumn</name>
    <message>
        <source>≡</source>
        <translation>≡</translation>
    </message>
    <message>
        <source>≡
一覧</source>
        <translation>≡
Lists</translation>
    </message>
    <message>
        <source>一覧の切り替え</source>
        <translation>Switch list</translation>
    </message>
    <message>
        <source>一覧を閉じてページを広く表示する</source>
        <translation>Close the lists and show the page wider</translation>
    </message>
    <message>
        <source>一覧（会議・資料・この資料・検索）を開く</source>
        <translation>Open the lists (meetings, agenda, this document, search)</translation>
    </message>
</context>
<context>
    <name>States</name>
    <message>
        <source>{pages}ページ</source>
        <translation>{pages} pages</translation>
    </message>
    <message>
        <source>{pages}ページ&#x3000;更新版（第{v}版）</source>
        <translation>{pages} pages — updated (version {v})</translation>
    </message>
    <message>
        <source>{state} — つながると続きを受信します</source>
        <translation>{state} — the rest arrives when connected</translation>
    </message>
    <message>
        <source>オフラインで閲覧できます（資料{n}件）</source>
        <translation>Ready to read offline ({n} documents)</translation>
    </message>
    <message>
        <source>取</source>
        <translation>W</translation>
    </message>
    <message>
        <source>取り下げられた資料があります（{n}件）</source>
        <translation>Some documents were withdrawn ({n})</translation>
    </message>
    <message>
        <source>取り下げられました</source>
        <translation>Withdrawn</translation>
    </message>
    <message>
        <source>受信中 {percent}%</source>
        <translation>Receiving {percent}%</translation>
    </message>
    <message>
        <source>受信中 {percent}%（{done}/{all}件）</source>
        <translation>Receiving {percent}% ({done} of {all})</translation>
    </message>
    <message>
        <source>差し替え — メモの確認が必要です（{n}件）</source>
        <translation>Replaced — notes to check ({n})</translation>
    </message>
    <message>
        <source>差し替え（第{v}版） — メモ{n}件の確認が必要です</source>
        <translation>Replaced (version {v}) — {n} notes to check</translation>
    </message>
    <message>
        <source>新</source>
        <translation>N</translation>
    </message>
    <message>
        <source>消</source>
        <translation>×</translation>
    </message>
    <message>
        <source>資料が更新されました（{n}件）</source>
        <translation>Documents were updated ({n})</translation>
    </message>
    <message>
        <source>資料はまだありません</source>
        <translation>No documents yet</translation>
    </message>
    <message>
        <source>鍵</source>
        <translation>K</translation>
    </message>
    <message>
        <source>鍵の到着待ち — 届くと自動で開けます</source>
        <translation>Waiting for the key — opens by itself once it arrives</translation>
    </message>
    <message>
        <source>閲覧できなくなりました — 端末にある資料は期限まで読めます</source>
        <translation>No longer open to you — what is on this device can be read until it expires</translation>
    </message>
    <message>
        <source>閲覧期限切れ（端末から消去済み）</source>
        <translation>Expired (removed from this device)</translation>
    </message>
</context>
<context>
    <name>StatusArea</name>
    <message>
        <source>この端末のデータは消去されました</source>
        <translation>This device&apos;s data was wiped</translation>
    </message>
    <message>
        <source>オフライン — 保存済みの資料は読めます</source>
        <translation>Offline — saved documents can be read</translation>
    </message>
    <message>
        <source>オンライン</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>同期中</source>
        <translation>Syncing</translation>
    </message>
    <message>
        <source>同期中 {n}件</source>
        <translation>Syncing {n}</translation>
    </message>
    <message>
        <source>接続しています…</source>
        <translation>Connecting…</translation>
    </message>
    <message>
        <source>接続の状態</source>
        <translation>Connection status</translation>
    </message>
    <message>
        <source>（未送信{n}件 — つながると送ります）</source>
        <translation> ({n} not sent yet — sent once connected)</translation>
    </message>
</context>
<context>
    <name>ThumbnailStrip</name>
    <message>
        <source>ページ一覧</source>
        <translation>Page list</translation>
    </message>
</context>
<context>
    <name>Viewer</name>
    <message>
        <source>{page} / {count}</source>
        <translation>{page} / {count}</translation>
    </message>
    <message>
        <source>◀ 前へ</source>
        <translation>◀ Prev</translation>
    </message>
    <message>
        <source>この資料は開けませんでした</source>
        <translation>This document could not be opened</translation>
    </message>
    <message>
        <source>ページ</source>
        <translation>Page</translation>
    </message>
    <message>
        <source>ページ全体を表示</source>
        <translation>Fit the whole page</translation>
    </message>
    <message>
        <source>全体</source>
        <translation>Page</translation>
    </message>
    <message>
        <source>左の一覧から資料を選んでください</source>
        <translation>Choose a document on the left</translation>
    </message>
    <message>
        <source>幅</source>
        <translation>Width</translation>
    </message>
    <message>
        <source>幅に合わせる</source>
        <translation>Fit the width</translation>
    </message>
    <message>
        <source>拡大</source>
        <translation>Zoom +</translation>
    </message>
    <message>
        <source>次へ ▶</source>
        <translation>Next ▶</translation>
    </message>
    <message>
        <source>縮小</source>
        <translation>Zoom −</translation>
    </message>
    <message>
        <source>資料を開いています…</source>
        <translation>Opening the document…</translation>
    </message>
</context>
<context>
    <name>WaitingPage</name>
    <message>
        <source>● 管理者がこの端末を認証するのを待っています（指紋 {fp}）</source>
        <translation>● Waiting for the administrator to certify this device (fingerprint {fp})</translation>
    </message>
    <message>
        <source>この端末が参加する会議はまだありません。</source>
        <translation>This device is not in any meeting yet.</translation>
    </message>
    <message>
        <source>この端末の名前：{name}</source>
        <translation>This device&apos;s name: {name}</translation>
    </message>
    <message>
        <source>この端末の指紋</source>
        <translation>This device&apos;s fingerprint</translation>
    </message>
    <message>
        <source>最終確認 {time}</source>
        <translation>Last checked {time}</translation>
    </message>
    <message>
        <source>登録しました</source>
        <translation>Enrolled</translation>
    </message>
    <message>
        <source>管理者に、この端末の指紋を見せてください（または読み上げてください）。管理者の画面の指紋と同じであれば、管理者が承認します。</source>
        <translation>Show this device&apos;s fingerprint to the administrator (or read it out). If it matches the one on the administrator&apos;s screen, they approve the device.</translation>
    </message>
</context>
<context>
    <name>WithdrawConfirm</name>
    <message>
        <source>「{title}」（第{v}版）を取り下げますか？</source>
        <translation>Withdraw “{title}” (version {v})?</translation>
    </message>
    <message>
        <source>やめる</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>取り下げる</source>
        <translation>Withdraw</translation>
    </message>
    <message>
        <source>委員の端末の一覧で「取り下げ」と表示され、新しく開くことはできなくなります。いま開いている方は、表示中のページをそのまま読めます。取り下げは元に戻せません。必要になったら、あらためて配布してください。</source>
        <translation>Members&apos; lists will show it as withdrawn, and it can no longer be opened. Anyone reading it now can keep reading the page in front of them. A withdrawal cannot be undone; if it is needed again, publish it again.</translation>
    </message>
    <message>
        <source>資料の取り下げ</source>
        <translation>Withdraw a document</translation>
    </message>
</context>
</TS>
