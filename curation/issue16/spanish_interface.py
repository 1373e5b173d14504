T = {
 "Summary actions": "Acciones del resumen",
 "Back to the plan": "Volver al plan",
 "Print": "Imprimir",
 "Download PDF": "Descargar PDF",
 "Normal print": "Letra normal",
 "Large print": "Letra grande",
 "Your treatment plan": "Su plan de tratamiento",
 "Name:": "Nombre:",
 "Date:": "Fecha:",
 "About %(name)s": "Sobre su enfermedad (%(name)s)",
 "Your dose": "Su dosis",
 "To start:": "Para empezar:",
 "Tick a box each day you take it.": "Marque una casilla cada día que lo tome.",
 "Week": "Semana",
 "What to take": "Qué tomar",
 "Days": "Días",
 "Week %(n)s": "Semana %(n)s",
 "Your doctor may change these steps. Follow what they tell you.": "Su médico puede cambiar estos pasos. Haga lo que le diga.",
 "What it is for": "Para qué sirve",
 "How to take it": "Cómo tomarlo",
 "When it starts to help": "Cuándo empieza a ayudar",
 "What to watch for": "A qué estar atento",
 "When to call your doctor": "Cuándo llamar a su médico",
 "Alcohol and driving": "Alcohol y manejar",
 "Part of this text is in English. Its Spanish version is being checked.": "Parte de este texto está en inglés. Su versión en español se está revisando.",
 "Your other medicines": "Sus otros medicamentos",
 "Do not mix": "No mezcle",
 "Get help now": "Pida ayuda ya",
 "Did you take too much? Is it hard to breathe? Call your local emergency number now.": "¿Tomó demasiado? ¿Le cuesta respirar? Llame ya al número de emergencias.",
 "Next steps": "Próximos pasos",
 "Notes from your doctor": "Notas de su médico",
 "QR code that opens this summary online": "Código QR que abre este resumen en internet",
 "Content as of %(date)s": "Contenido al %(date)s",
 "version": "versión",
 "See the latest version online:": "Vea la última versión en internet:",
 "This sheet does not replace advice from your doctor or pharmacist.": "Esta hoja no reemplaza los consejos de su médico o farmacéutico.",
 "Use": "Use",
 "Take": "Tome",
 "once a day": "1 vez al día",
 "%(verb)s %(dose)s %(unit)s %(how_often)s.": "%(verb)s %(dose)s %(unit)s %(how_often)s.",
 "%(verb)s %(dose)s %(unit)s in total each day, split as your doctor says.": "%(verb)s %(dose)s %(unit)s en total cada día, repartidos como le diga su médico.",
 "j F Y": "j \\d\\e F \\d\\e Y",
 "%(verb)s %(dose)s %(unit)s.": "%(verb)s %(dose)s %(unit)s.",
 "Never take more than %(dose)s %(unit)s in one day.": "Nunca tome más de %(dose)s %(unit)s en un día.",
 "Day %(day)s": "Día %(day)s",
 "Days %(first)s to %(last)s": "Días %(first)s a %(last)s",
 "Take your medicine the way your doctor told you.": "Tome su medicamento como le dijo su médico.",
 "Write down how your pain, sleep and mood change each week. Bring the notes to your next visit.": "Anote cómo cambian su dolor, su sueño y su ánimo cada semana. Traiga las notas a su próxima cita.",
 "Many nerve pain medicines take weeks to work. Do not stop one suddenly unless your doctor says so.": "Muchos medicamentos para el dolor de nervios tardan semanas en hacer efecto. No deje uno de golpe, salvo que su médico se lo diga.",
 "Ask your pharmacist first if you want to take new pills, herbs or vitamins.": "Pregunte a su farmacéutico antes de tomar pastillas, hierbas o vitaminas nuevas.",
 "Do not take it with these unless your doctor says it is safe:": "No lo tome con estos, salvo que su médico le diga que es seguro:",
 "You also take %(current)s. %(current)s and %(drug)s can be harmful together. Ask your doctor before you take them together. Do not stop %(current)s on your own.": "Usted también toma %(current)s. %(current)s y %(drug)s pueden hacer daño juntos. Pregunte a su médico antes de tomarlos juntos. No deje %(current)s por su cuenta.",
 "You also take %(current)s. Taking it with %(drug)s needs care. Ask your doctor or pharmacist about it. Do not stop %(current)s on your own.": "Usted también toma %(current)s. Tomarlo con %(drug)s requiere cuidado. Pregunte a su médico o farmacéutico. No deje %(current)s por su cuenta.",
}
PLURALS = {("%(n)s time a day", "%(n)s times a day"): ("%(n)s vez al día", "%(n)s veces al día")}

def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

out = ['# Spanish interface strings of the patient handout. English is the source of truth.',
       'msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '"Language: es\\n"',
       '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', '']
for k, v in T.items():
    out += [f"msgid {q(k)}", f"msgstr {q(v)}", ""]
for (a, b), (x, y) in PLURALS.items():
    out += [f"msgid {q(a)}", f"msgid_plural {q(b)}", f"msgstr[0] {q(x)}", f"msgstr[1] {q(y)}", ""]
open("locale/es/LC_MESSAGES/django.po", "w").write("\n".join(out))
